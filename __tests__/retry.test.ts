import { describe, expect, it } from 'vitest';
import type { Clock } from '../src/domain/types.ts';
import { backoffDelay, withRetry } from '../src/huawei/retry.ts';

class Flaky extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  constructor(retryable: boolean, retryAfterMs?: number) {
    super(retryable ? 'flaky' : 'fatal');
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

function clock() {
  let now = 0;
  const sleeps: number[] = [];
  const c: Clock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { c, sleeps };
}

describe('backoffDelay', () => {
  it('draws full jitter below a doubling ceiling, capped, never below Retry-After', () => {
    const p = { baseMs: 1_000, capMs: 20_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { ...p, random: () => 0.999 }))).toEqual([
      999, 1_998, 3_996, 7_992, 15_984, 19_980,
    ]);
    expect(backoffDelay(3, { ...p, random: () => 0 })).toBe(0);
    expect(backoffDelay(1, { ...p, random: () => 0.5 }, 7_000)).toBe(7_000);
  });
});

describe('withRetry', () => {
  it('retries retryable errors until success, sleeping the drawn delays', async () => {
    const { c, sleeps } = clock();
    const retried: number[] = [];
    let n = 0;
    const value = await withRetry(
      async () => {
        if (++n < 4) throw new Flaky(true);
        return 'ok';
      },
      {
        clock: c,
        baseMs: 1_000,
        capMs: 20_000,
        deadline: 60_000,
        random: () => 0.5,
        onRetry: (_e, a) => retried.push(a),
      },
    );
    expect([value, n, sleeps, retried]).toEqual(['ok', 4, [500, 1_000, 2_000], [1, 2, 3]]);
  });

  it('throws at once on an error that is not retryable', async () => {
    const { c, sleeps } = clock();
    let n = 0;
    const fatal = new Flaky(false);
    await expect(
      withRetry(
        async () => {
          n++;
          throw fatal;
        },
        { clock: c, baseMs: 1_000, capMs: 20_000, deadline: 60_000, random: () => 0.5 },
      ),
    ).rejects.toBe(fatal);
    expect([n, sleeps]).toEqual([1, []]);
  });

  it('gives up with the last error when the next try would start past the deadline', async () => {
    const { c, sleeps } = clock();
    let n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw new Flaky(true, 5_000);
        },
        { clock: c, baseMs: 1_000, capMs: 20_000, deadline: 12_000, random: () => 0.5 },
      ),
    ).rejects.toThrow('flaky');
    // 0 -> 5s -> 10s; a third wait would end at 15s > 12s.
    expect([n, sleeps]).toEqual([3, [5_000, 5_000]]);
  });

  it('stops when cancelled', async () => {
    const { c } = clock();
    const controller = new AbortController();
    let n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          controller.abort();
          throw new Flaky(true);
        },
        {
          clock: c,
          baseMs: 1_000,
          capMs: 20_000,
          deadline: 60_000,
          random: () => 0.5,
          signal: controller.signal,
        },
      ),
    ).rejects.toThrow('flaky');
    expect(n).toBe(1);
  });
});
