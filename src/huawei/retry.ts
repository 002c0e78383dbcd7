import type { Clock } from '../domain/types.ts';

/** An error that says whether trying the same request again can help, and how long to wait first. */
export interface RetryableError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

export interface RetryPolicy {
  clock: Clock;
  /** First backoff ceiling; each attempt doubles it up to `capMs`. */
  baseMs: number;
  capMs: number;
  /** Epoch ms after which no retry is started (the action's `timeout`). */
  deadline: number;
  /** In [0, 1): full jitter draws the delay uniformly below the ceiling. */
  random: () => number;
  signal?: AbortSignal;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Retry HTTP 429 too (default). The waiter turns it off: a throttled poll moves its schedule instead. */
  retryThrottled?: boolean;
}

/** The wait's `timeout` passed before an answer came: the wait ends as timed out, not as an error. */
export class DeadlineError extends Error {
  readonly retryable = false;
  constructor(init: { message: string; cause?: unknown }) {
    super(init.message, { cause: init.cause });
    this.name = 'DeadlineError';
  }
}

/** The API gateway throttled the call (HTTP 429, `APIGW.0308`). */
export function isThrottled(error: unknown): boolean {
  return error instanceof Error && (error as { status?: unknown }).status === 429;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof Error && (error as Partial<RetryableError>).retryable === true;
}

/** Full-jitter delay for the given attempt (1-based), never below a server's Retry-After. */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs' | 'random'>,
  retryAfterMs = 0,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.max(Math.floor(policy.random() * ceiling), retryAfterMs);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or the next try would start after
 * the deadline (then the last error is thrown). Cancellation ends the loop with the last error.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  let last: unknown;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      // A retry cut off by the deadline says less than the failure that led to it.
      if (error instanceof DeadlineError && last !== undefined) throw last;
      last = error;
      if (!isRetryable(error) || policy.signal?.aborted) throw error;
      if (policy.retryThrottled === false && isThrottled(error)) throw error;
      const err = error as RetryableError;
      const delay = backoffDelay(n, policy, err.retryAfterMs);
      if (policy.clock.now() + delay >= policy.deadline) throw error;
      policy.onRetry?.(err, n, delay);
      await policy.clock.sleep(delay, policy.signal);
      if (policy.signal?.aborted) throw error;
    }
  }
}
