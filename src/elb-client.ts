import { excerpt, type HttpClient, ResponseFormatError } from './http.ts';
import type { ListJobsQuery, ListJobsResponse, MainJob } from './types.ts';

/** Page size asked of ListJobs; pages are followed through `page_info.next_marker`. */
export const PAGE_LIMIT = 2000;
/** A guard against a server that keeps handing out markers. */
const MAX_PAGES = 50;

const QUERY_ORDER: ReadonlyArray<keyof ListJobsQuery> = [
  'job_id',
  'job_type',
  'status',
  'error_code',
  'resource_id',
  'begin_time',
  'limit',
  'marker',
  'page_reverse',
];

/** ListJobs query as ordered pairs, dropping unset parameters. */
export function listJobsQuery(query: ListJobsQuery): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const key of QUERY_ORDER) {
    const value = query[key];
    if (value !== undefined && value !== '') pairs.push([key, String(value)]);
  }
  return pairs;
}

/** `GET /v3/{project_id}/elb/jobs`, with X-Project-Id sent (and signed) and pages followed. */
export class ElbClient {
  readonly #http: HttpClient;
  readonly #projectId: string;
  readonly #pageLimit: number;

  constructor(http: HttpClient, projectId: string, pageLimit = PAGE_LIMIT) {
    this.#http = http;
    this.#projectId = projectId;
    this.#pageLimit = pageLimit;
  }

  /** Every job matching `query`, following `next_marker` while pages come back full. */
  async listJobs(query: Omit<ListJobsQuery, 'marker' | 'limit'>, deadline: number): Promise<MainJob[]> {
    const limit = this.#pageLimit;
    const jobs: MainJob[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.#http.getJson(
        `/v3/${this.#projectId}/elb/jobs`,
        listJobsQuery({ ...query, limit, marker }),
        { deadline, headers: { 'X-Project-Id': this.#projectId } },
      );
      const parsed = asListJobsResponse(body);
      jobs.push(...parsed.jobs);
      const next = parsed.page_info?.next_marker;
      if (!next || parsed.jobs.length < limit || next === marker) break;
      marker = next;
    }
    return jobs;
  }
}

/** Checks the shape the waiter relies on; a wrong shape is an API change no retry will fix. */
export function asListJobsResponse(body: unknown): ListJobsResponse {
  const obj = body as Partial<ListJobsResponse> | null;
  if (
    typeof obj !== 'object' ||
    obj === null ||
    !Array.isArray(obj.jobs) ||
    !obj.jobs.every((j) => typeof j === 'object' && j !== null && typeof j.job_id === 'string')
  ) {
    throw new ResponseFormatError(
      `HTTP 200, but ListJobs answered without a "jobs" array of jobs: ${excerpt(JSON.stringify(body) ?? String(body), (t) => t)}`,
      200,
      typeof obj?.request_id === 'string' ? obj.request_id : '',
      false,
    );
  }
  return obj as ListJobsResponse;
}
