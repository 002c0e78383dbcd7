/**
 * The shape of a ListJobs answer, checked field by field before anything reads it. An answer is untrusted: a field of
 * the wrong type is an API change (or a hostile server) that no retry fixes, so it ends the step with an error that
 * names the field and the job. A harmless gap (a field missing or null, no `sub_jobs`) is tolerated. Only the
 * documented fields are kept, so nothing undocumented (deep nesting, huge extras) travels further.
 */

import type { JobEntity, ListJobsResponse, MainJob, PageInfo, SubJob } from '../domain/types.ts';
import { ResponseFormatError } from './http.ts';

/** A ListJobs answer that is not the documented shape: never retried. */
export class ShapeError extends ResponseFormatError {
  /** The field, as a path: `jobs[0].sub_jobs[3].status`. */
  readonly field: string;
  constructor(init: { field: string; message: string; status?: number; requestId?: string }) {
    super({ message: init.message, status: init.status ?? 200, requestId: init.requestId, retryable: false });
    this.name = 'ShapeError';
    this.field = init.field;
  }
}

const JOB_FIELDS = [
  'status',
  'begin_time',
  'end_time',
  'job_id',
  'job_type',
  'error_code',
  'error_msg',
  'project_id',
  'resource_id',
] as const;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names the job a bad field belongs to, by its ID when that much is readable. */
function jobLabel(job: unknown, index: number): string {
  const id = isRecord(job) && typeof job.job_id === 'string' ? job.job_id : undefined;
  return id ? `job ${JSON.stringify(id.slice(0, 100))}` : `the job at position ${index}`;
}

class Checker {
  readonly what: string;
  readonly job: string;
  constructor(what: string, job: string) {
    this.what = what;
    this.job = job;
  }

  fail(field: string, value: unknown, expected: string): never {
    const got =
      value === undefined
        ? `without "${field}", which must be ${expected}`
        : `with "${field}" as ${typeName(value)}, not ${expected}`;
    throw new ShapeError({ field, message: `${this.what} answered ${this.job} ${got}` });
  }

  /** A string field: missing or null is left out. */
  string(obj: Record<string, unknown>, key: string, path: string): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(`${path}${key}`, value, 'a string');
    return value;
  }

  array(obj: Record<string, unknown>, key: string, path: string): unknown[] | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(`${path}${key}`, value, 'an array');
    return value;
  }

  record(value: unknown, path: string): Record<string, unknown> {
    if (!isRecord(value)) this.fail(path, value, 'an object');
    return value;
  }

  fields(obj: Record<string, unknown>, path: string): MainJob {
    const out: MainJob = {};
    for (const key of JOB_FIELDS) {
      const value = this.string(obj, key, path);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  entity(value: unknown, path: string): JobEntity {
    const obj = this.record(value, path);
    const out: JobEntity = {};
    const id = this.string(obj, 'resource_id', `${path}.`);
    const type = this.string(obj, 'resource_type', `${path}.`);
    if (id !== undefined) out.resource_id = id;
    if (type !== undefined) out.resource_type = type;
    return out;
  }

  subJob(value: unknown, path: string): SubJob {
    const obj = this.record(value, path);
    const out: SubJob = this.fields(obj, `${path}.`);
    const entities = this.array(obj, 'entities', `${path}.`);
    if (entities) out.entities = entities.map((e, i) => this.entity(e, `${path}.entities[${i}]`));
    return out;
  }

  mainJob(value: unknown, path: string): MainJob {
    const obj = this.record(value, path);
    const out = this.fields(obj, `${path}.`);
    if (out.job_id === undefined) this.fail(`${path}.job_id`, obj.job_id, 'a string');
    const subs = this.array(obj, 'sub_jobs', `${path}.`);
    if (subs) out.sub_jobs = subs.map((s, i) => this.subJob(s, `${path}.sub_jobs[${i}]`));
    return out;
  }
}

/** Checks a ListJobs body and returns its documented fields; throws `ShapeError` naming the first bad field. */
export function parseListJobs(body: unknown): ListJobsResponse {
  const top: Checker = new Checker('ListJobs', 'its page');
  const obj = top.record(body, 'the body');
  const jobs = obj.jobs;
  if (!Array.isArray(jobs)) top.fail('jobs', jobs, 'an array');
  const out: ListJobsResponse = {
    jobs: jobs.map((job, i) => new Checker('ListJobs', jobLabel(job, i)).mainJob(job, `jobs[${i}]`)),
  };
  if (obj.page_info !== undefined && obj.page_info !== null) {
    const info = top.record(obj.page_info, 'page_info');
    const page: PageInfo = {};
    const next = top.string(info, 'next_marker', 'page_info.');
    const previous = top.string(info, 'previous_marker', 'page_info.');
    const count = info.current_count;
    if (count !== undefined && count !== null && typeof count !== 'number') {
      top.fail('page_info.current_count', count, 'a number');
    }
    if (next !== undefined) page.next_marker = next;
    if (previous !== undefined) page.previous_marker = previous;
    if (typeof count === 'number') page.current_count = count;
    out.page_info = page;
  }
  const requestId = top.string(obj, 'request_id', '');
  if (requestId !== undefined) out.request_id = requestId;
  return out;
}
