/**
 * Many waiters, one account: N copies of the real waiter, ELB client and retry code, started together, each waiting
 * on its own 30-minute upgrade (end times spread evenly between 20 and 40 minutes), all signed with one credential
 * against one emulator whose gateway allows 200 requests per 5 minutes for it. Time is simulated: a discrete-event
 * clock moves to the next sleep's end whenever every waiter is asleep, so an hour takes seconds; every request is real
 * HTTP on loopback.
 */
import { Agent } from 'undici';
import {
  DEMO_ACCESS_KEY,
  DEMO_PROJECT_ID,
  DEMO_SECRET_KEY,
  ElbEmulator,
  upgradeJob,
} from '../emulator/index.ts';
import { parseDuration } from '../src/domain/time.ts';
import type { Clock } from '../src/domain/types.ts';
import { akskAuthorizer } from '../src/huawei/auth.ts';
import { ElbClient } from '../src/huawei/elb-client.ts';
import { HttpClient } from '../src/huawei/http.ts';
import { DEFAULTS } from '../src/inputs/inputs.ts';
import { waitForJobs } from '../src/wait/waiter.ts';

const MIN = 60_000;
/** Huawei's gateway: 200 requests per 5 minutes per user. */
export const BUCKET = { requests: 200, perMs: 5 * MIN };

/** A clock for many tasks: `sleep` parks a task; `run` moves time to the earliest wake-up once all are parked. */
class EventClock {
  #now: number;
  #timers: Array<{ at: number; seq: number; wake: () => void }> = [];
  #seq = 0;
  #parked = 0;

  constructor(start: number) {
    this.#now = start;
  }

  readonly clock: Clock = {
    now: () => this.#now,
    sleep: (ms, signal) => {
      if (ms <= 0 || signal?.aborted) return Promise.resolve();
      this.#parked++;
      return new Promise<void>((wake) => {
        this.#timers.push({ at: this.#now + ms, seq: this.#seq++, wake });
      });
    },
  };

  /** Runs the tasks to their end, moving time only when none of them is busy (awaiting real I/O). */
  async run<T>(tasks: Array<Promise<T>>): Promise<T[]> {
    let done = 0;
    const all = Promise.all(tasks.map((t) => t.finally(() => done++)));
    while (done < tasks.length) {
      // Let every task that is not parked reach its next sleep (or its end): real requests take real time.
      while (this.#parked + done < tasks.length) await new Promise((r) => setImmediate(r));
      if (done === tasks.length) break;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      this.#parked--;
      next.wake();
    }
    return all;
  }
}

/** A small deterministic random source per waiter (the same figures on every run). */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export interface FleetFigures {
  waiters: number;
  requests: number;
  throttled: number;
  failed: number;
  p50LagMs: number;
  p95LagMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** N waiters on one bucket; `adaptive` false turns off the jitter and the slow-down (429s retried as before). */
export async function simulateFleet(waiters: number, adaptive = true): Promise<FleetFigures> {
  const sim = new EventClock(Date.UTC(2026, 0, 1));
  const emulator = new ElbEmulator({
    credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
    now: sim.clock.now,
    maxSkewMs: Number.POSITIVE_INFINITY,
    rateLimit: BUCKET,
  });
  const url = await emulator.start();
  const dispatcher = new Agent({ connections: 16 });
  const start = sim.clock.now();
  const jobs = Array.from({ length: waiters }, (_, i) => {
    const durationMs = waiters === 1 ? 30 * MIN : 20 * MIN + Math.round((20 * MIN * i) / (waiters - 1));
    return {
      script: emulator.addJob(upgradeJob({ durationMs, outcome: 'COMPLETE' }), start),
      endsAt: start + durationMs,
    };
  });
  try {
    const outcomes = await sim.run(
      jobs.map(async ({ script, endsAt }, i) => {
        const random = seeded(i + 1);
        const http = new HttpClient({
          endpoint: url,
          authorizer: akskAuthorizer({ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }),
          dispatcher,
          requestTimeoutMs: 30_000,
          clock: sim.clock,
          redact: (t) => t,
          random,
          retryThrottled: !adaptive,
        });
        const elb = new ElbClient(http, DEMO_PROJECT_ID, { clock: sim.clock });
        const outcome = await waitForJobs(
          {
            jobIds: [script.job_id],
            timeoutMs: 2 * 60 * MIN,
            pollIntervalMs: parseDuration(DEFAULTS.poll_interval),
            maxPollIntervalMs: parseDuration(DEFAULTS.max_poll_interval),
            failOn: ['FAIL', 'ROLLBACK_FAIL'],
            failFast: true,
          },
          { clock: sim.clock, list: (q, d) => elb.listJobs(q, d), random, adaptive },
        );
        return { ok: outcome.result === 'success', lagMs: sim.clock.now() - endsAt };
      }),
    );
    const lags = outcomes.map((o) => o.lagMs).sort((a, b) => a - b);
    const listed = emulator.requests.filter((r) => r.route === 'list');
    return {
      waiters,
      requests: listed.length,
      throttled: listed.filter((r) => r.status === 429).length,
      failed: outcomes.filter((o) => !o.ok).length,
      p50LagMs: percentile(lags, 50),
      p95LagMs: percentile(lags, 95),
    };
  } finally {
    await dispatcher.close();
    await emulator.stop();
  }
}

/** The p95 lag budget: max(30 s, twice the fair-share interval of N waiters on 200 requests per 5 minutes). */
export function lagBudgetMs(waiters: number): number {
  const fairShareMs = (waiters * BUCKET.perMs) / BUCKET.requests;
  return Math.max(30_000, 2 * fairShareMs);
}
