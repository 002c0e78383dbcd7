import type { Clock, ListJobsQuery, MainJob } from '../domain/types.ts';
import type { HttpClient } from './http.ts';
import { parseListJobs, ShapeError } from './job-shape.ts';
import { DeadlineError } from './retry.ts';

/** Page size asked of ListJobs; pages are followed through `page_info.next_marker`. */
export const PAGE_LIMIT = 2000;
/** More jobs than any wait needs: a server that keeps paging must not fill the runner's memory. */
export const MAX_JOBS = 200_000;

/** ListJobs query as pairs, dropping unset parameters (the signer puts them in canonical order on the wire). */
export function listJobsQuery(query: ListJobsQuery): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') pairs.push([key, String(value)]);
  }
  return pairs;
}

/** `GET /v3/{project_id}/elb/jobs`, with X-Project-Id sent (and signed) and pages followed. */
export class ElbClient {
  readonly #http: HttpClient;
  readonly #projectId: string;
  readonly #pageLimit: number;
  readonly #clock: Clock;
  readonly #warning: (message: string) => void;

  constructor(
    http: HttpClient,
    projectId: string,
    options: { clock: Clock; warning?: (message: string) => void; pageLimit?: number },
  ) {
    this.#http = http;
    this.#projectId = projectId;
    this.#clock = options.clock;
    this.#warning = options.warning ?? (() => undefined);
    this.#pageLimit = options.pageLimit ?? PAGE_LIMIT;
  }

  /**
   * Every job matching `query`, following `page_info.next_marker` until it is absent or a page is empty (a server
   * may cap pages below `limit`). A marker handed out twice ends the paging with a warning. No page is asked for
   * after `deadline`.
   */
  async listJobs(query: Omit<ListJobsQuery, 'marker' | 'limit'>, deadline: number): Promise<MainJob[]> {
    const limit = this.#pageLimit;
    const jobs: MainJob[] = [];
    const markers = new Set<string>();
    let marker: string | undefined;
    for (let page = 1; ; page++) {
      if (page > 1 && this.#clock.now() >= deadline) {
        throw new DeadlineError({
          message: `ListJobs: the timeout passed while following its pages (${page - 1} read)`,
        });
      }
      const body = await this.#http.getJson(
        `/v3/${this.#projectId}/elb/jobs`,
        listJobsQuery({ ...query, limit, marker }),
        { deadline, headers: { 'X-Project-Id': this.#projectId } },
      );
      // Every field checked by type, only the documented ones kept: a wrong shape is a change no retry will fix.
      const parsed = parseListJobs(body);
      for (const job of parsed.jobs) jobs.push(job);
      if (jobs.length > MAX_JOBS) {
        throw new ShapeError({
          field: 'page_info.next_marker',
          message: `ListJobs kept paging past ${MAX_JOBS} jobs (${page} pages); stopped there`,
        });
      }
      const next = parsed.page_info?.next_marker;
      if (!next || parsed.jobs.length === 0) return jobs;
      if (markers.has(next) || next === marker) {
        this.#warning(
          `ListJobs handed out the page marker ${JSON.stringify(next.slice(0, 100))} a second time (page ${page}); ` +
            'paging stops there',
        );
        return jobs;
      }
      markers.add(next);
      marker = next;
    }
  }
}
