/**
 * The ELB v3 job routes: the scripted jobs added to the emulator, and what
 * `GET /v3/{project_id}/elb/jobs` (filters, `limit`, `marker`, `page_reverse`, `begin_time`) and
 * `GET /v3/{project_id}/elb/jobs/{job_id}` answer at a given time. Authentication is the gateway's
 * (gateway.ts), before these replies.
 */
import { queryParams } from './auth.ts';
import { beginMs, type CanonicalMainJob, type JobScript, jobAt, validateScript } from './jobs.ts';
import type { Reply } from './reply.ts';

/** The API's largest `limit`, and the default page size. */
export const MAX_LIMIT = 2000;
const BEGIN_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const FILTERS = ['job_id', 'job_type', 'status', 'error_code', 'resource_id', 'project_id'] as const;

interface StoredJob {
  script: JobScript;
  addedAt: number;
  seq: number;
}

/** Parses the API's `yyyy-MM-ddTHH:mm:ss` (UTC) to epoch ms, or undefined. */
export function parseBeginTime(value: string): number | undefined {
  const m = BEGIN_TIME.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

/** The jobs the emulator serves, with their timelines counted from when each was added. */
export class ElbJobs {
  private jobs: StoredJob[] = [];
  private seq = 0;
  private readonly maxPageSize: number;

  /** `maxPageSize`: the server-side cap on `limit`, to force pagination. */
  constructor(maxPageSize: number = MAX_LIMIT) {
    this.maxPageSize = maxPageSize;
    if (!(this.maxPageSize >= 1)) throw new Error('ElbEmulator: maxPageSize must be >= 1');
  }

  /** Adds a scripted job whose offsets count from `addedAtMs`. */
  add(script: JobScript, addedAtMs: number): void {
    validateScript(script);
    this.jobs.push({ script, addedAt: addedAtMs, seq: this.seq++ });
  }

  /** What the API serves at `now` for a job (undefined while not listed or unknown). */
  state(jobId: string, now: number): CanonicalMainJob | undefined {
    const stored = this.jobs.find((j) => j.script.job_id === jobId);
    return stored === undefined ? undefined : jobAt(stored.script, now - stored.addedAt, stored.addedAt);
  }

  clear(): void {
    this.jobs = [];
  }

  /** `GET /v3/{project_id}/elb/jobs/{job_id}`. */
  get(projectId: string, jobId: string, now: number): Reply {
    const found = this.visible(projectId, now).find((v) => v.job.job_id === jobId);
    if (found === undefined) {
      return {
        status: 404,
        body: { error_code: 'ELB.8904', error_msg: `Job ${jobId} could not be found.` },
      };
    }
    return { status: 200, body: { job: found.job } };
  }

  /** `GET /v3/{project_id}/elb/jobs?...`: one page of the project's jobs. */
  list(projectId: string, query: string, now: number): Reply {
    const params = queryParams(query);
    const bad = (message: string): Reply => ({
      status: 400,
      body: { error_code: 'ELB.8902', error_msg: `Invalid parameter: ${message}` },
    });
    const single: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      if (Array.isArray(value)) return bad(`${key} must be given once`);
      single[key] = value;
    }
    let limit = MAX_LIMIT;
    if (single.limit !== undefined) {
      if (!/^\d+$/.test(single.limit) || Number(single.limit) > MAX_LIMIT) {
        return bad(`limit must be an integer from 0 to ${MAX_LIMIT}, got '${single.limit}'`);
      }
      // 0 is treated as "no limit given" (the documentation does not say what 0 means).
      if (Number(single.limit) > 0) limit = Number(single.limit);
    }
    limit = Math.min(limit, this.maxPageSize);
    let reverse = false;
    if (single.page_reverse !== undefined) {
      if (single.page_reverse !== 'true' && single.page_reverse !== 'false') {
        return bad(`page_reverse must be true or false, got '${single.page_reverse}'`);
      }
      reverse = single.page_reverse === 'true';
    }
    let since: number | undefined;
    if (single.begin_time !== undefined) {
      since = parseBeginTime(single.begin_time);
      if (since === undefined) {
        return bad(`begin_time must be in the format yyyy-MM-dd'T'HH:mm:ss, got '${single.begin_time}'`);
      }
    }
    const all = this.visible(projectId, now);
    const matches = (v: { job: CanonicalMainJob; begin: number }): boolean => {
      for (const key of FILTERS) {
        const wanted = single[key];
        if (wanted !== undefined && v.job[key] !== wanted) return false;
      }
      return since === undefined || Math.floor(v.begin / 1000) * 1000 >= since;
    };
    // Positions in the unfiltered order, so a marker works even if it no longer matches the filters.
    const positions = all.map((v, i) => ({ v, i })).filter((p) => matches(p.v));
    let candidates = positions;
    let markerPos: number | undefined;
    if (single.marker !== undefined) {
      markerPos = all.findIndex((v) => v.job.job_id === single.marker);
      if (markerPos === -1) return bad(`marker ${single.marker} does not exist`);
    }
    let page: typeof positions;
    if (markerPos === undefined) {
      page = candidates.slice(0, limit);
    } else if (!reverse) {
      const after = markerPos;
      candidates = positions.filter((p) => p.i > after);
      page = candidates.slice(0, limit);
    } else {
      const before = markerPos;
      candidates = positions.filter((p) => p.i < before);
      page = candidates.slice(Math.max(0, candidates.length - limit));
    }
    const first = page[0];
    const last = page[page.length - 1];
    const pageInfo: Record<string, string | number> = {};
    if (first !== undefined) pageInfo.previous_marker = first.v.job.job_id;
    pageInfo.current_count = page.length;
    if (last !== undefined && positions.some((p) => p.i > last.i)) pageInfo.next_marker = last.v.job.job_id;
    return { status: 200, body: { jobs: page.map((p) => p.v.job), page_info: pageInfo } };
  }

  private visible(projectId: string, now: number): Array<{ job: CanonicalMainJob; begin: number }> {
    const visible: Array<{ job: CanonicalMainJob; begin: number; seq: number }> = [];
    for (const stored of this.jobs) {
      if (stored.script.project_id !== projectId) continue;
      const job = jobAt(stored.script, now - stored.addedAt, stored.addedAt);
      if (job === undefined) continue;
      visible.push({ job, begin: beginMs(stored.script, stored.addedAt), seq: stored.seq });
    }
    // Newest begin_time first; among equal begin times, the job added last first.
    visible.sort((a, b) => b.begin - a.begin || b.seq - a.seq);
    return visible;
  }
}
