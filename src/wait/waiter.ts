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
import { DeadlineError, isRetryable, isThrottled } from '../huawei/retry.ts';

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
  /** The first throttled answer (HTTP 429): the polls slow down to one every `intervalMs` for now. */
  throttled?(intervalMs: number): void;
}

export interface WaitDeps {
  clock: Clock;
  signal?: AbortSignal;
  /** ListJobs (all pages); `deadline` bounds its retries. */
  list(query: ListJobsQuery, deadline: number): Promise<MainJob[]>;
  events?: WaiterEvents;
  /** In [0, 1), for the schedule's jitter. Default Math.random. */
  random?: () => number;
  /**
   * Share the account's limit with other waiters (default true): jitter on the backoff, and after a throttled
   * answer (HTTP 429) a poll interval that grows multiplicatively, then comes back a little per answer not throttled.
   */
  adaptive?: boolean;
}

/** Up to this fraction is added to a backoff delay below `max_poll_interval`, so waiters started together part. */
export const JITTER = 0.25;
/**
 * The slow-down when throttled, in units of `max_poll_interval` (30 s by default) so that a fast schedule slows down
 * in proportion: the first throttled answer moves the interval to at least THROTTLED_FLOOR of them (150 s), each
 * further one multiplies it by THROTTLED_GROWTH, up to THROTTLED_CAP of them (10 min); each answer not throttled
 * takes THROTTLED_RECOVERY of it off, until the normal schedule takes over below `max_poll_interval`. Tuned with
 * `npm run bench`'s fleet table (bench/fleet.ts): a slower, multiplicative recovery keeps the throttled share low.
 */
export const THROTTLED_FLOOR = 5;
export const THROTTLED_GROWTH = 1.5;
export const THROTTLED_CAP = 20;
export const THROTTLED_RECOVERY = 0.015;

/**
 * The next delay: the backoff step with jitter (never above `max_poll_interval`, so the lag budget holds), or the
 * throttled interval when that is longer.
 */
export function nextDelay(stepMs: number, maxMs: number, throttledMs: number, random: number): number {
  const jittered = stepMs >= maxMs ? stepMs : Math.min(maxMs, stepMs * (1 + JITTER * random));
  // A throttled interval is jittered downwards, so the lag after a job's end never exceeds it.
  return Math.round(Math.max(jittered, throttledMs * (1 - JITTER * random)));
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
  const adaptive = deps.adaptive ?? true;
  const random = deps.random ?? Math.random;
  /** While throttled: the interval the polls slow down to (0: not slowed down). */
  let throttledMs = 0;
  let throttled = 0;

  const state = () => ({ tracked, lastFinished, elapsedMs: clock.now() - start, polls, throttled });
  const outcome = (result: Exclude<Result, 'failure'>, error?: Error): WaitOutcome => ({
    ...state(),
    result,
    failing,
    error,
  });
  const failure = (job: MainJob): WaitOutcome => ({ ...state(), result: 'failure', failing: job });

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
      // Recovery: each answer that was not throttled brings the interval back a little.
      if (throttledMs > 0) {
        throttledMs *= 1 - THROTTLED_RECOVERY;
        if (throttledMs < req.maxPollIntervalMs) throttledMs = 0;
      }
    } catch (error) {
      if (signal?.aborted) return outcome('cancelled');
      const err = asError(error);
      if (adaptive && isThrottled(err) && clock.now() < deadline) {
        // Multiplicative slow-down: this poll ends, and the rest of the wait polls less often. Never an error.
        // (Another try inside the poll would spend the account's limit that the other waiters share.)
        throttled++;
        const retryAfter = (err as { retryAfterMs?: number }).retryAfterMs ?? 0;
        throttledMs = Math.min(
          THROTTLED_CAP * req.maxPollIntervalMs,
          Math.max(throttledMs * THROTTLED_GROWTH, THROTTLED_FLOOR * req.maxPollIntervalMs, retryAfter),
        );
        if (throttled === 1) events.throttled?.(throttledMs);
        lastPollError = err;
      } else {
        // `timeout` is a hard bound: a poll cut short by it ends the wait as timed out, with the last known state.
        if (err instanceof DeadlineError || (isRetryable(err) && clock.now() >= deadline)) {
          return outcome('timeout', err instanceof DeadlineError ? (lastPollError ?? err) : err);
        }
        if (!isRetryable(err)) return outcome('error', err);
        lastPollError = err;
        events.pollFailed?.(lastPollError);
      }
    } finally {
      events.pollDone?.({ poll: polls, changes: pollChanges, elapsedMs: clock.now() - start, tracked });
    }
    if (failing && req.failFast) return failure(failing);
    if (tracked.every((t) => t.finishedAtPoll !== undefined))
      return failing ? failure(failing) : outcome('success');
    const now = clock.now();
    if (now >= deadline) return outcome('timeout', lastPollError);
    delay = changed || polls === 1 ? req.pollIntervalMs : Math.min(delay * 2, req.maxPollIntervalMs);
    const step = adaptive ? nextDelay(delay, req.maxPollIntervalMs, throttledMs, random()) : delay;
    const nextDelayMs = Math.min(step, deadline - now);
    events.polled?.({
      poll: polls,
      nextDelayMs,
      elapsedMs: now - start,
      pending: tracked.filter((t) => t.finishedAtPoll === undefined),
    });
    await clock.sleep(nextDelayMs, signal);
  }
}
