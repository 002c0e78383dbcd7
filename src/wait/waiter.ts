import { apiBeginTime, apiTime, isKnownStatus, isTerminal } from '../domain/jobs.ts';
import type {
  Clock,
  Config,
  ListJobsQuery,
  MainJob,
  Result,
  StatusChange,
  SubJob,
  TrackedJob,
  WaitOutcome,
} from '../domain/types.ts';
import { asError } from '../errors.ts';
import { DeadlineError, isRetryable } from '../huawei/retry.ts';

/** What the waiter needs of the `Config`. */
export type WaitRequest = Pick<
  Config,
  | 'jobIds'
  | 'resourceId'
  | 'jobType'
  | 'beginTime'
  | 'timeoutMs'
  | 'pollIntervalMs'
  | 'maxPollIntervalMs'
  | 'failFast'
> & {
  failOn: readonly string[];
  /** With `timeoutMs` 0, the one check may take this long (its retries included). */
  requestTimeoutMs?: number;
};

export interface WaiterEvents {
  /** resource_id mode: the job that will be waited for. */
  jobFound?(job: MainJob): void;
  /** The first poll at which a job was not listed; `jobId` undefined: no job of the resource matched yet. */
  notListed?(jobId: string | undefined): void;
  unknownStatus?(status: string, jobId: string): void;
  /** A poll failed with an error worth retrying; the wait goes on. */
  pollFailed?(error: Error): void;
  /** After every poll, the last included: the status changes it saw, in order. */
  pollDone?(info: { poll: number; changes: StatusChange[]; elapsedMs: number; tracked: TrackedJob[] }): void;
  /** After each poll that is followed by another: how long until the next one. */
  polled?(info: { poll: number; nextDelayMs: number; elapsedMs: number; pending: TrackedJob[] }): void;
}

export interface WaitDeps {
  clock: Clock;
  signal?: AbortSignal;
  /** ListJobs (all pages); `deadline` bounds its retries. */
  list(query: ListJobsQuery, deadline: number): Promise<MainJob[]>;
  events?: WaiterEvents;
}

/** The newest of the resource's jobs that match the filters (the API's filters are applied again here). */
export function newestMatching(
  jobs: MainJob[],
  req: Pick<WaitRequest, 'resourceId' | 'jobType' | 'beginTime'>,
) {
  const since = req.beginTime ? apiTime(req.beginTime) : Number.NEGATIVE_INFINITY;
  let best: MainJob | undefined;
  for (const job of jobs) {
    if (req.resourceId && job.resource_id !== req.resourceId) continue;
    if (req.jobType && job.job_type !== req.jobType) continue;
    if (apiTime(job.begin_time) < since) continue;
    if (!best || apiTime(job.begin_time) > apiTime(best.begin_time)) best = job;
  }
  return best;
}

/**
 * One ListJobs query that covers every pending job already seen, when there are at least two: from the earliest
 * begin_time, narrowed to their resource and type when they share one. Undefined when per-job calls are cheaper.
 */
export function batchQuery(pending: TrackedJob[]): ListJobsQuery | undefined {
  const seen = pending.filter((t) => Number.isFinite(apiTime(t.job?.begin_time)));
  if (seen.length < 2) return undefined;
  const since = Math.min(...seen.map((t) => apiTime(t.job?.begin_time)));
  const shared = (field: 'resource_id' | 'job_type') => {
    const values = new Set(seen.map((t) => t.job?.[field]));
    const [only] = values;
    return values.size === 1 && only ? only : undefined;
  };
  return {
    begin_time: apiBeginTime(since),
    resource_id: shared('resource_id'),
    job_type: shared('job_type'),
  };
}

/** Polls until every job is terminal, one fails (with fail_fast), the timeout passes, or the signal aborts. */
export async function waitForJobs(req: WaitRequest, deps: WaitDeps): Promise<WaitOutcome> {
  const { clock, signal, events = {} } = deps;
  const start = clock.now();
  const deadline = start + req.timeoutMs;
  // What bounds the requests of a poll: the deadline, or for a single check (timeout 0) one request_timeout.
  const listDeadline = req.timeoutMs === 0 ? start + (req.requestTimeoutMs ?? 10_000) : deadline;
  const resourceMode = req.jobIds.length === 0;
  // Job-ID mode tracks jobs by ID from the start; resource mode one job, found (and named) by a poll.
  const byIds: Array<TrackedJob & { jobId: string }> = req.jobIds.map((jobId) => ({ jobId }));
  const found: TrackedJob = {};
  const tracked: TrackedJob[] = resourceMode ? [found] : byIds;
  const seen = new Map<string, string>();
  const unknownSeen = new Set<string>();
  const missReported = new Set<string>();
  let failing: MainJob | undefined;
  let lastFinished: MainJob | undefined;
  let lastPollError: Error | undefined;
  let delay = req.pollIntervalMs;
  let polls = 0;
  /** The status changes seen by the current poll. */
  let pollChanges: StatusChange[] = [];

  const outcome = (result: Exclude<Result, 'failure'>, error?: Error): WaitOutcome => ({
    result,
    tracked,
    failing,
    lastFinished,
    error,
    elapsedMs: clock.now() - start,
    polls,
  });
  const failure = (job: MainJob): WaitOutcome => ({
    result: 'failure',
    tracked,
    failing: job,
    lastFinished,
    elapsedMs: clock.now() - start,
    polls,
  });

  /** Records a job's new state; true when the job or one of its sub-jobs changed status. */
  const observe = (t: TrackedJob, job: MainJob): boolean => {
    const jobId = job.job_id ?? '';
    t.job = job;
    let changed = false;
    const note = (key: string, status: string | undefined, subJob?: SubJob) => {
      const to = status ?? '';
      const from = seen.get(key);
      if (from === to) return;
      seen.set(key, to);
      changed = true;
      if (to && !isKnownStatus(to) && !unknownSeen.has(to)) {
        unknownSeen.add(to);
        events.unknownStatus?.(to, jobId);
      }
      pollChanges.push({ jobId, subJob, from, to, job, elapsedMs: clock.now() - start });
    };
    note(jobId, job.status);
    (job.sub_jobs ?? []).forEach((sub, i) => {
      note(`${jobId}/${sub.job_id || `${i}:${sub.job_type ?? ''}`}`, sub.status, sub);
    });
    if (isTerminal(job.status) && t.finishedAtPoll === undefined) {
      t.finishedAtPoll = polls;
      lastFinished = job;
      if (!failing && req.failOn.includes(job.status)) failing = job;
    }
    return changed;
  };

  const poll = async (): Promise<boolean> => {
    let changed = false;
    if (resourceMode) {
      const t = found;
      const jobs = await deps.list(
        { resource_id: req.resourceId, job_type: req.jobType, begin_time: req.beginTime, job_id: t.jobId },
        listDeadline,
      );
      const job = t.jobId ? jobs.find((j) => j.job_id === t.jobId) : newestMatching(jobs, req);
      if (!job) {
        if (!missReported.has('')) {
          missReported.add('');
          events.notListed?.(t.jobId);
        }
        return false;
      }
      if (!t.jobId) {
        t.jobId = job.job_id;
        events.jobFound?.(job);
      }
      return observe(t, job);
    }
    const pending = byIds.filter((t) => t.finishedAtPoll === undefined);
    // Several jobs already seen: one ListJobs from the earliest begin_time, matched here; per-job calls only for
    // jobs not seen yet (their begin_time is unknown) or missing from that list.
    const batch = batchQuery(pending);
    let single = pending;
    if (batch) {
      const jobs = await deps.list(batch, listDeadline);
      const byId = new Map<string | undefined, MainJob>();
      for (const j of jobs) if (!byId.has(j.job_id)) byId.set(j.job_id, j);
      single = [];
      for (const t of pending) {
        const job = byId.get(t.jobId);
        if (!job || !t.job) {
          single.push(t);
          continue;
        }
        if (observe(t, job)) changed = true;
      }
      if (failing && req.failFast) return changed;
    }
    for (const t of single) {
      const jobs = await deps.list({ job_id: t.jobId }, listDeadline);
      const job = jobs.find((j) => j.job_id === t.jobId);
      if (!job) {
        if (!missReported.has(t.jobId)) {
          missReported.add(t.jobId);
          events.notListed?.(t.jobId);
        }
        continue;
      }
      if (observe(t, job)) changed = true;
      if (failing && req.failFast) break;
    }
    return changed;
  };

  for (;;) {
    if (signal?.aborted) return outcome('cancelled');
    polls++;
    let changed = false;
    pollChanges = [];
    try {
      changed = await poll();
      lastPollError = undefined;
    } catch (error) {
      if (signal?.aborted) return outcome('cancelled');
      const err = asError(error);
      // `timeout` is a hard bound: a poll cut short by it ends the wait as timed out, with the last known state.
      if (err instanceof DeadlineError || (isRetryable(err) && clock.now() >= deadline)) {
        return outcome('timeout', err instanceof DeadlineError ? (lastPollError ?? err) : err);
      }
      if (!isRetryable(err)) return outcome('error', err);
      lastPollError = err;
      events.pollFailed?.(lastPollError);
    } finally {
      events.pollDone?.({ poll: polls, changes: pollChanges, elapsedMs: clock.now() - start, tracked });
    }
    if (failing && req.failFast) return failure(failing);
    if (tracked.every((t) => t.finishedAtPoll !== undefined))
      return failing ? failure(failing) : outcome('success');
    const now = clock.now();
    if (now >= deadline) return outcome('timeout', lastPollError);
    delay = changed || polls === 1 ? req.pollIntervalMs : Math.min(delay * 2, req.maxPollIntervalMs);
    const nextDelayMs = Math.min(delay, deadline - now);
    events.polled?.({
      poll: polls,
      nextDelayMs,
      elapsedMs: now - start,
      pending: tracked.filter((t) => t.finishedAtPoll === undefined),
    });
    await clock.sleep(nextDelayMs, signal);
  }
}
