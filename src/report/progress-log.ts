/**
 * The log while waiting: one line per status change with the elapsed time, the sub-jobs' changes in a group under
 * their job, and while nothing changes a heartbeat at most once a minute. Quiet otherwise.
 */

import { jobName } from '../domain/jobs.ts';
import { formatDuration } from '../domain/time.ts';
import type { StatusChange, TrackedJob } from '../domain/types.ts';

export interface LogSink {
  info(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

export const HEARTBEAT_MS = 60_000;
/** Sub-job lines shown per job and poll; the summary has them all. */
export const MAX_SUB_JOB_LINES = 200;

function detail(code: string | undefined, msg: string | undefined): string {
  return code ? ` (${code}${msg ? `: ${msg}` : ''})` : '';
}

/** `RUNNING -> COMPLETE`, or just the status when first seen. */
function arrow(change: StatusChange): string {
  return change.from ? `${change.from} -> ${change.to || '(none)'}` : change.to || '(no status)';
}

/** The line for a job's own change, or for its sub-jobs' when only they changed. */
export function jobLine(changes: StatusChange[]): string {
  const first = changes[0] as StatusChange;
  const own = changes.find((c) => !c.subJob);
  const at = `[${formatDuration(first.elapsedMs)}]`;
  const job = first.job;
  if (own) return `${at} ${jobName(job)}: ${arrow(own)}${detail(job.error_code, job.error_msg)}`;
  const n = changes.length;
  return `${at} ${jobName(job)}: ${job.status ?? '(no status)'}, ${n} sub-job${n === 1 ? '' : 's'} changed`;
}

export function subJobLine(change: StatusChange): string {
  const s = change.subJob ?? {};
  return `${s.job_type ?? 'sub-job'} ${s.job_id ?? ''}: ${arrow(change)}${detail(s.error_code, s.error_msg)}`;
}

export class ProgressLog {
  readonly #sink: LogSink;
  #lastLineAt = 0;

  constructor(sink: LogSink) {
    this.#sink = sink;
  }

  /** After each poll: per job that changed, its line, with its sub-jobs' changes grouped under it. */
  changes(changes: StatusChange[], elapsedMs: number): void {
    const byJob = new Map<string, StatusChange[]>();
    for (const c of changes) {
      const list = byJob.get(c.jobId);
      if (list) list.push(c);
      else byJob.set(c.jobId, [c]);
    }
    for (const list of byJob.values()) {
      const subs = list.filter((c) => c.subJob);
      if (subs.length === 0) {
        this.#sink.info(jobLine(list));
      } else {
        this.#sink.startGroup(jobLine(list));
        for (const c of subs.slice(0, MAX_SUB_JOB_LINES)) this.#sink.info(subJobLine(c));
        const more = subs.length - MAX_SUB_JOB_LINES;
        if (more > 0) this.#sink.info(`… and ${more} more sub-jobs changed (the summary lists them all)`);
        this.#sink.endGroup();
      }
    }
    if (changes.length > 0) this.#lastLineAt = elapsedMs;
  }

  /** While nothing changes: one line a minute at most, saying what is pending and when the next check is. */
  heartbeat(pending: TrackedJob[], elapsedMs: number, nextDelayMs: number): void {
    if (elapsedMs - this.#lastLineAt < HEARTBEAT_MS || pending.length === 0) return;
    this.#lastLineAt = elapsedMs;
    const after = formatDuration(elapsedMs);
    const next = formatDuration(nextDelayMs);
    const at = `[${after}]`;
    if (pending.length === 1) {
      const t = pending[0] as TrackedJob;
      const what = t.job
        ? `${jobName(t.job)} still ${t.job.status ?? 'without status'}`
        : t.jobId
          ? `job ${t.jobId} still not listed`
          : 'no matching job listed yet';
      this.#sink.info(`${at} ${what} after ${after}; next check in ${next}`);
      return;
    }
    const list = pending.map((t) => `${t.jobId ?? '?'} ${t.job?.status ?? 'not listed'}`).join(', ');
    this.#sink.info(
      `${at} ${pending.length} jobs still in progress after ${after} (${list}); next check in ${next}`,
    );
  }
}
