/**
 * The job domain: what the statuses mean, how a job is named, which job decides the verdict, how the API writes
 * times, and the shapes of region and project IDs. Every other module takes these from here.
 */
import type { MainJob, Progress, StatusName, TrackedJob, WaitOutcome } from './types.ts';

export const IN_PROGRESS: readonly string[] = ['INIT', 'RUNNING', 'ROLLBACKING'];
/** The statuses that end a job; `fail_on` takes its values from these. */
export const TERMINAL: readonly StatusName[] = ['FAIL', 'ROLLBACK_FAIL', 'CANCEL', 'SUCCESS', 'COMPLETE'];
/** The statuses of a job or sub-job that failed. */
export const FAILED: ReadonlySet<string> = new Set(['FAIL', 'ROLLBACK_FAIL']);

/** A region ID: `cn-north-4`, `eu-west-101`, `my-kualalumpur-1`. */
export const REGION = /^[a-z]{2}-[a-z]+-\d{1,3}$/;
/** A project ID: it goes into every ELB request's path and `X-Project-Id` header. */
export const PROJECT_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Only the known terminal statuses end a wait; an unknown status counts as in progress until `timeout`. */
export function isTerminal(status: unknown): status is StatusName {
  return typeof status === 'string' && (TERMINAL as readonly string[]).includes(status);
}

export function isKnownStatus(status: unknown): boolean {
  return typeof status === 'string' && (IN_PROGRESS.includes(status) || isTerminal(status));
}

export function isFailed(status: string | undefined): boolean {
  return FAILED.has(status ?? '');
}

/** `UPGRADE job <id>`, or `job <id>` without a type. */
export function jobName(job: { job_type?: string; job_id?: string }): string {
  return `${job.job_type ? `${job.job_type} ` : ''}job ${job.job_id ?? ''}`;
}

/** The error code and message of a job, else of its first failed sub-job. */
export function jobError(job: MainJob): { code: string; msg: string } {
  if (job.error_code || job.error_msg) return { code: job.error_code ?? '', msg: job.error_msg ?? '' };
  const sub = (job.sub_jobs ?? []).find((s) => isFailed(s.status) && (s.error_code || s.error_msg));
  return { code: sub?.error_code ?? '', msg: sub?.error_msg ?? '' };
}

/** What the job's resource is, from its sub-jobs' entities or its type. */
export function resourceType(job: MainJob): string {
  for (const sub of job.sub_jobs ?? []) {
    const entity = (sub.entities ?? []).find((e) => e.resource_id === job.resource_id && e.resource_type);
    if (entity?.resource_type) return entity.resource_type;
  }
  if (/listener/i.test(job.job_type ?? '')) return 'listener';
  if (/upgrade|loadbalancer/i.test(job.job_type ?? '')) return 'loadbalancer';
  return 'resource';
}

/** True for a wait that has ended (an outcome), false while it goes on (progress). */
export function hasEnded(view: WaitOutcome | Progress): view is WaitOutcome {
  return 'result' in view;
}

/**
 * The job that decides the verdict: the only one; else the failing one, the last to finish (success), or the first
 * still pending. While waiting: the first still pending.
 */
export function decidingJob(view: WaitOutcome | Progress): TrackedJob | undefined {
  if (view.tracked.length === 1) return view.tracked[0];
  const pending = () => view.tracked.find((t) => t.finishedAtPoll === undefined) ?? view.tracked[0];
  if (!hasEnded(view)) return pending();
  const failing = view.tracked.find((t) => t.job && t.job === view.failing);
  if (failing) return failing;
  if (view.result === 'success') return view.tracked.find((t) => t.job === view.lastFinished);
  return pending();
}

/** An API time (`2024-03-23T08:20:42Z`, or without a zone: UTC) in epoch ms; -Infinity when absent or bad. */
export function apiTime(text: string | undefined): number {
  if (!text) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** API format, UTC, whole seconds (rounded down so the job itself is included). */
export function apiBeginTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}
