import { describe, expect, it } from 'vitest';
import type { Clock, ListJobsQuery, MainJob, StatusChange, SubJob } from '../src/domain/types.ts';
import { ApiError, NetworkError } from '../src/huawei/http.ts';
import {
  batchQuery,
  JITTER,
  newestMatching,
  nextDelay,
  THROTTLED_CAP,
  THROTTLED_FLOOR,
  THROTTLED_GROWTH,
  THROTTLED_RECOVERY,
  type WaitRequest,
  waitForJobs,
} from '../src/wait/waiter.ts';

const MIN = 60_000;

/** The schedule without its jitter, for tests that pin exact delays. */
const NO_JITTER = () => 0;

/** A clock whose sleep advances time at once: a 30-minute job runs in milliseconds. */
function fakeClock(start = Date.UTC(2024, 2, 23, 8, 20, 0)) {
  const sleeps: number[] = [];
  let now = start;
  const clock: Clock = {
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, start, advance: (ms: number) => (now += ms) };
}

type Step = [atMs: number, status: string, subs?: Array<[string, string]>];

/** A job whose state follows `steps` (ms since the clock's start). */
function scripted(id: string, steps: Step[], extra: Partial<MainJob> = {}) {
  return (elapsed: number): MainJob | undefined => {
    const step = [...steps].reverse().find(([at]) => at <= elapsed);
    if (!step) return undefined;
    const sub_jobs: SubJob[] = (step[2] ?? []).map(([type, status]) => ({
      job_id: `${id}-${type}`,
      job_type: type,
      status,
    }));
    return {
      job_id: id,
      job_type: 'UPGRADE',
      status: step[1],
      sub_jobs,
      error_code: '',
      error_msg: '',
      ...extra,
    };
  };
}

function api(clock: ReturnType<typeof fakeClock>, jobs: Array<(elapsed: number) => MainJob | undefined>) {
  const calls: ListJobsQuery[] = [];
  const list = async (query: ListJobsQuery) => {
    calls.push(query);
    const all = jobs.map((j) => j(clock.clock.now() - clock.start)).filter((j): j is MainJob => !!j);
    return all.filter(
      (j) =>
        (!query.job_id || j.job_id === query.job_id) &&
        (!query.resource_id || j.resource_id === query.resource_id),
    );
  };
  return { list, calls };
}

const base: WaitRequest = {
  jobIds: ['job-1'],
  timeoutMs: 60 * MIN,
  pollIntervalMs: 5_000,
  maxPollIntervalMs: 30_000,
  failOn: ['FAIL', 'ROLLBACK_FAIL'],
  failFast: true,
};

describe('waitForJobs', () => {
  it('waits a 30-minute upgrade to COMPLETE with backoff, resetting on every status change', async () => {
    const c = fakeClock();
    const job = scripted('job-1', [
      [0, 'RUNNING', [['UPGRADE_INIT', 'RUNNING']]],
      [
        26 * MIN,
        'RUNNING',
        [
          ['UPGRADE_INIT', 'SUCCESS'],
          ['UPGRADE_TRAFFIC_SWITCH', 'RUNNING'],
        ],
      ],
      [
        28 * MIN,
        'RUNNING',
        [
          ['UPGRADE_INIT', 'SUCCESS'],
          ['UPGRADE_TRAFFIC_SWITCH', 'SUCCESS'],
          ['UPGRADE_COMPLETE', 'RUNNING'],
        ],
      ],
      [
        30 * MIN,
        'COMPLETE',
        [
          ['UPGRADE_INIT', 'SUCCESS'],
          ['UPGRADE_TRAFFIC_SWITCH', 'SUCCESS'],
          ['UPGRADE_COMPLETE', 'SUCCESS'],
        ],
      ],
    ]);
    const { list, calls } = api(c, [job]);
    const changes: StatusChange[] = [];
    const out = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list,
      events: { pollDone: (poll) => changes.push(...poll.changes) },
    });

    expect(out.result).toBe('success');
    expect(out.tracked[0]?.job?.status).toBe('COMPLETE');
    expect(out.lastFinished?.job_id).toBe('job-1');
    // Backoff: 5s, 10s, 20s, then the 30s ceiling while nothing changes.
    expect(c.sleeps.slice(0, 5)).toEqual([5_000, 10_000, 20_000, 30_000, 30_000]);
    expect(Math.max(...c.sleeps)).toBe(30_000);
    // The first poll after each change waits poll_interval again.
    const afterChange = out.elapsedMs;
    expect(afterChange).toBeGreaterThanOrEqual(30 * MIN);
    expect(afterChange - 30 * MIN).toBeLessThanOrEqual(30_000);
    expect(calls.length).toBe(out.polls);
    expect(calls.every((q) => q.job_id === 'job-1')).toBe(true);
    expect(changes.map((ch) => `${ch.subJob?.job_type ?? 'main'}:${ch.from ?? ''}>${ch.to}`)).toEqual([
      'main:>RUNNING',
      'UPGRADE_INIT:>RUNNING',
      'UPGRADE_INIT:RUNNING>SUCCESS',
      'UPGRADE_TRAFFIC_SWITCH:>RUNNING',
      'UPGRADE_TRAFFIC_SWITCH:RUNNING>SUCCESS',
      'UPGRADE_COMPLETE:>RUNNING',
      'main:RUNNING>COMPLETE',
      'UPGRADE_COMPLETE:RUNNING>SUCCESS',
    ]);
  });

  it('drops back to poll_interval after a sub-job changes', async () => {
    const c = fakeClock();
    const job = scripted('job-1', [
      [0, 'RUNNING', [['UPGRADE_INIT', 'RUNNING']]],
      [100_000, 'RUNNING', [['UPGRADE_INIT', 'SUCCESS']]],
      [400_000, 'SUCCESS', [['UPGRADE_INIT', 'SUCCESS']]],
    ]);
    const { list } = api(c, [job]);
    await waitForJobs(base, { clock: c.clock, random: NO_JITTER, list });
    // 0, 5, 15, 35, 65, 95 (nothing new), 125: change seen -> next sleep is 5s again.
    expect(c.sleeps.slice(0, 7)).toEqual([5_000, 10_000, 20_000, 30_000, 30_000, 30_000, 5_000]);
  });

  it.each([
    ['FAIL', 'failure'],
    ['ROLLBACK_FAIL', 'failure'],
    ['CANCEL', 'success'],
    ['SUCCESS', 'success'],
    ['COMPLETE', 'success'],
  ])('a job ending in %s gives %s with the default fail_on', async (status, result) => {
    const c = fakeClock();
    const { list } = api(c, [
      scripted('job-1', [
        [0, 'RUNNING'],
        [20_000, status],
      ]),
    ]);
    const out = await waitForJobs(base, { clock: c.clock, random: NO_JITTER, list });
    expect(out.result).toBe(result);
    expect(out.failing?.status).toBe(result === 'failure' ? status : undefined);
  });

  it('fails on CANCEL when fail_on lists it', async () => {
    const c = fakeClock();
    const { list } = api(c, [scripted('job-1', [[0, 'CANCEL']])]);
    const out = await waitForJobs(
      { ...base, failOn: ['FAIL', 'CANCEL'] },
      { clock: c.clock, random: NO_JITTER, list },
    );
    expect(out.result).toBe('failure');
    expect(out.failing?.job_id).toBe('job-1');
    expect(out.polls).toBe(1);
  });

  it('treats an unknown status as in progress until the timeout, and reports it once', async () => {
    const c = fakeClock();
    const { list } = api(c, [scripted('job-1', [[0, 'PAUSED']])]);
    const unknown: string[] = [];
    const out = await waitForJobs(
      { ...base, timeoutMs: 2 * MIN },
      { clock: c.clock, random: NO_JITTER, list, events: { unknownStatus: (s) => unknown.push(s) } },
    );
    expect(out.result).toBe('timeout');
    expect(out.elapsedMs).toBe(2 * MIN);
    expect(unknown).toEqual(['PAUSED']);
  });

  it('times out exactly at the deadline with the last known state', async () => {
    const c = fakeClock();
    const { list } = api(c, [scripted('job-1', [[0, 'RUNNING']])]);
    const out = await waitForJobs(
      { ...base, timeoutMs: 100_000 },
      { clock: c.clock, random: NO_JITTER, list },
    );
    expect(out.result).toBe('timeout');
    expect(out.elapsedMs).toBe(100_000);
    expect(out.tracked[0]?.job?.status).toBe('RUNNING');
    // 0, 5, 15, 35, 65, 95, 100 (the last sleep is cut to the deadline).
    expect(c.sleeps).toEqual([5_000, 10_000, 20_000, 30_000, 30_000, 5_000]);
  });

  it('timeout 0 checks once', async () => {
    const c = fakeClock();
    const running = api(c, [scripted('job-1', [[0, 'RUNNING']])]);
    const out = await waitForJobs(
      { ...base, timeoutMs: 0 },
      { clock: c.clock, random: NO_JITTER, list: running.list },
    );
    expect([out.result, out.polls, c.sleeps.length]).toEqual(['timeout', 1, 0]);
    const done = api(c, [scripted('job-1', [[0, 'COMPLETE']])]);
    const out2 = await waitForJobs(
      { ...base, timeoutMs: 0 },
      { clock: c.clock, random: NO_JITTER, list: done.list },
    );
    expect([out2.result, out2.polls]).toEqual(['success', 1]);
  });

  it('with several jobs and fail_fast, ends when one fails, keeping the others last state', async () => {
    const c = fakeClock();
    const { list, calls } = api(c, [
      scripted('a', [
        [0, 'RUNNING'],
        [50_000, 'COMPLETE'],
      ]),
      scripted(
        'b',
        [
          [0, 'RUNNING'],
          [20_000, 'FAIL'],
        ],
        { error_code: 'ELB.8907', error_msg: 'boom' },
      ),
      scripted('c', [[0, 'RUNNING']]),
    ]);
    const out = await waitForJobs(
      { ...base, jobIds: ['a', 'b', 'c'] },
      { clock: c.clock, random: NO_JITTER, list },
    );
    expect(out.result).toBe('failure');
    expect(out.failing?.job_id).toBe('b');
    expect(out.tracked.map((t) => t.job?.status)).toEqual(['RUNNING', 'FAIL', 'RUNNING']);
    expect(calls.map((q) => q.job_id).slice(0, 3)).toEqual(['a', 'b', 'c']);
  });

  it('without fail_fast, waits for all and reports the first failure', async () => {
    const c = fakeClock();
    const { list, calls } = api(c, [
      scripted('a', [
        [0, 'RUNNING'],
        [50_000, 'COMPLETE'],
      ]),
      scripted('b', [
        [0, 'RUNNING'],
        [20_000, 'FAIL'],
      ]),
    ]);
    const out = await waitForJobs(
      { ...base, jobIds: ['a', 'b'], failFast: false },
      { clock: c.clock, random: NO_JITTER, list },
    );
    expect(out.result).toBe('failure');
    expect(out.failing?.job_id).toBe('b');
    expect(out.lastFinished?.job_id).toBe('a');
    expect(out.tracked.map((t) => t.job?.status)).toEqual(['COMPLETE', 'FAIL']);
    // Polls at 0, 5, 15, 35 (b FAIL: back to 5s), 40, 50 (a COMPLETE); a finished job is not polled again.
    expect(calls.map((q) => q.job_id).join('')).toBe('ababababaa');
  });

  it('keeps polling a job that is not listed yet, noting the first miss once', async () => {
    const c = fakeClock();
    const { list } = api(c, [
      scripted('job-1', [
        [40_000, 'RUNNING'],
        [60_000, 'COMPLETE'],
      ]),
    ]);
    const misses: string[] = [];
    const out = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list,
      events: { notListed: (w) => misses.push(w ?? 'resource') },
    });
    expect(out.result).toBe('success');
    expect(misses).toEqual(['job-1']);
  });

  it('resource mode: waits for the newest matching job, ignoring an older finished one', async () => {
    const c = fakeClock();
    const older = scripted('old', [[0, 'COMPLETE']], {
      resource_id: 'lb-1',
      begin_time: '2024-03-22T08:00:00Z',
    });
    const newer = scripted(
      'new',
      [
        [30_000, 'RUNNING'],
        [90_000, 'COMPLETE'],
      ],
      {
        resource_id: 'lb-1',
        begin_time: '2024-03-23T08:20:30Z',
      },
    );
    const { list, calls } = api(c, [older, newer]);
    const found: string[] = [];
    const out = await waitForJobs(
      { ...base, jobIds: [], resourceId: 'lb-1', beginTime: '2024-03-23T08:00:00' },
      { clock: c.clock, random: NO_JITTER, list, events: { jobFound: (j) => found.push(j.job_id ?? '') } },
    );
    expect(out.result).toBe('success');
    expect(out.tracked[0]?.jobId).toBe('new');
    expect(found).toEqual(['new']);
    expect(calls[0]).toMatchObject({ resource_id: 'lb-1', begin_time: '2024-03-23T08:00:00' });
    expect(calls.at(-1)).toMatchObject({ resource_id: 'lb-1', job_id: 'new' });
  });

  it('goes on after a retryable poll failure and stops on one that is not', async () => {
    const c = fakeClock();
    let n = 0;
    const job = scripted('job-1', [
      [0, 'RUNNING'],
      [30_000, 'COMPLETE'],
    ]);
    const failed: string[] = [];
    const out = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list: async () => {
        if (++n === 2) throw new NetworkError({ message: 'connection reset' });
        return [job(c.clock.now() - c.start) as MainJob];
      },
      events: { pollFailed: (e) => failed.push(e.message) },
    });
    expect(out.result).toBe('success');
    expect(failed).toEqual(['connection reset']);

    const denied = new ApiError({
      status: 401,
      errorCode: 'APIGW.0301',
      errorMsg: 'x',
      requestId: 'r',
      message: 'm',
    });
    let calls = 0;
    const out2 = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list: async () => {
        calls++;
        throw denied;
      },
    });
    expect([out2.result, out2.error, calls]).toEqual(['error', denied, 1]);
  });

  it('stops at once when the signal aborts', async () => {
    const c = fakeClock();
    const controller = new AbortController();
    const { list } = api(c, [scripted('job-1', [[0, 'RUNNING']])]);
    const out = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list,
      signal: controller.signal,
      events: { polled: ({ poll }) => poll === 3 && controller.abort() },
    });
    expect([out.result, out.polls, out.tracked[0]?.job?.status]).toEqual(['cancelled', 3, 'RUNNING']);
  });
});

describe('newestMatching', () => {
  it('picks the newest by begin_time among jobs of the resource, type and time window', () => {
    const jobs: MainJob[] = [
      { job_id: '1', resource_id: 'r', job_type: 'UPGRADE', begin_time: '2024-03-23T08:00:00Z' },
      { job_id: '2', resource_id: 'r', job_type: 'UPGRADE', begin_time: '2024-03-23T09:00:00' },
      { job_id: '3', resource_id: 'r', job_type: 'CLONE', begin_time: '2024-03-23T10:00:00Z' },
      { job_id: '4', resource_id: 'other', job_type: 'UPGRADE', begin_time: '2024-03-23T11:00:00Z' },
    ];
    expect(newestMatching(jobs, { resourceId: 'r', jobType: 'UPGRADE' })?.job_id).toBe('2');
    expect(newestMatching(jobs, { resourceId: 'r' })?.job_id).toBe('3');
    expect(
      newestMatching(jobs, { resourceId: 'r', jobType: 'UPGRADE', beginTime: '2024-03-23T09:30:00' }),
    ).toBeUndefined();
  });
});

describe('several jobs: one ListJobs per poll once their begin times are known', () => {
  it('asks per job on the first poll, then once from the earliest begin_time, matching locally', async () => {
    const c = fakeClock();
    const at = (id: string, begin: string, end: number) =>
      scripted(
        id,
        [
          [0, 'RUNNING'],
          [end, 'COMPLETE'],
        ],
        { begin_time: begin, resource_id: 'lb-1' },
      );
    const { list, calls } = api(c, [
      at('a', '2024-03-23T08:10:00Z', 50_000),
      at('b', '2024-03-23T08:05:30.500Z', 100_000),
      at('c', '2024-03-23T08:15:00Z', 200_000),
    ]);
    const out = await waitForJobs(
      { ...base, jobIds: ['a', 'b', 'c'] },
      { clock: c.clock, random: NO_JITTER, list },
    );
    expect(out.result).toBe('success');
    expect(calls.slice(0, 3)).toEqual([{ job_id: 'a' }, { job_id: 'b' }, { job_id: 'c' }]);
    const later = calls.slice(3);
    expect(later.length).toBe(out.polls - 1);
    // Once only one job is left, asking for it by ID is as cheap.
    const batched = later.filter((q) => !q.job_id);
    expect(batched[0]).toEqual({
      begin_time: '2024-03-23T08:05:30',
      resource_id: 'lb-1',
      job_type: 'UPGRADE',
    });
    expect(later.filter((q) => q.job_id).every((q) => q.job_id === 'c')).toBe(true);
  });

  it('batches only jobs already seen, at least two, narrowed to what they share', async () => {
    expect(
      batchQuery([{ jobId: 'x' }, { jobId: 'y', job: { job_id: 'y', begin_time: '2024-03-23T08:00:00Z' } }]),
    ).toBeUndefined();
    expect(
      batchQuery([
        {
          jobId: 'x',
          job: { job_id: 'x', begin_time: '2024-03-23T09:00:00Z', resource_id: 'r1', job_type: 'UPGRADE' },
        },
        {
          jobId: 'y',
          job: { job_id: 'y', begin_time: '2024-03-23T08:00:00', resource_id: 'r2', job_type: 'UPGRADE' },
        },
      ]),
    ).toEqual({ begin_time: '2024-03-23T08:00:00', resource_id: undefined, job_type: 'UPGRADE' });
  });
});

describe('sharing the account: jitter and slow-down', () => {
  const throttle = () =>
    new ApiError({
      status: 429,
      errorCode: 'APIGW.0308',
      errorMsg: 'policy user over ratelimit,limit:200,time:5 minute',
      requestId: 'r',
      message: 'HTTP 429 APIGW.0308',
    });

  it('jitters backoff steps below max_poll_interval, never above it', () => {
    expect(nextDelay(5_000, 30_000, 0, 0)).toBe(5_000);
    expect(nextDelay(5_000, 30_000, 0, 0.999)).toBe(Math.round(5_000 * (1 + JITTER * 0.999)));
    expect(nextDelay(20_000, 30_000, 0, 0.999)).toBeLessThanOrEqual(30_000);
    expect(nextDelay(30_000, 30_000, 0, 0.999)).toBe(30_000);
    expect(nextDelay(10_000, 30_000, 45_000, 0.5)).toBe(Math.round(45_000 * (1 - JITTER * 0.5)));
    expect(nextDelay(10_000, 30_000, 45_000, 0)).toBe(45_000);
  });

  it('waiters started together part after the first poll', async () => {
    const schedules: number[][] = [];
    for (const r of [0.1, 0.9]) {
      const c = fakeClock();
      const { list } = api(c, [
        scripted('job-1', [
          [0, 'RUNNING'],
          [10 * MIN, 'COMPLETE'],
        ]),
      ]);
      await waitForJobs(base, { clock: c.clock, list, random: () => r });
      schedules.push(c.sleeps.slice(0, 3));
    }
    expect(schedules[0]).not.toEqual(schedules[1]);
    expect(schedules[0]?.[0]).toBe(Math.round(5_000 * (1 + JITTER * 0.1)));
  });

  it('a throttled poll slows the schedule down (multiplicatively), which comes back a little per answer', async () => {
    const c = fakeClock();
    const { list: inner } = api(c, [
      scripted('job-1', [
        [0, 'RUNNING'],
        [30 * MIN, 'COMPLETE'],
      ]),
    ]);
    let calls = 0;
    const list = async (q: ListJobsQuery) => {
      calls++;
      if (calls >= 2 && calls <= 4) throw throttle();
      return inner(q);
    };
    const slowed: number[] = [];
    const failed: string[] = [];
    const out = await waitForJobs(base, {
      clock: c.clock,
      random: NO_JITTER,
      list,
      events: { throttled: (ms) => slowed.push(ms), pollFailed: (e) => failed.push(e.message) },
    });
    expect(out.result).toBe('success');
    expect(out.throttled).toBe(3);
    const floor = THROTTLED_FLOOR * base.maxPollIntervalMs;
    expect(slowed).toEqual([floor]);
    expect(failed).toEqual([]);
    // 5 s, then throttled three times: the floor, then growing each time; then a little less per answer not throttled.
    const third = floor * THROTTLED_GROWTH ** 2;
    const recovered = third * (1 - THROTTLED_RECOVERY);
    const expected = [5_000, floor, floor * THROTTLED_GROWTH, third, recovered];
    expect(c.sleeps.slice(0, expected.length)).toEqual(expected.map(Math.round));
    expect(Math.max(...c.sleeps)).toBeLessThanOrEqual(THROTTLED_CAP * base.maxPollIntervalMs);
  });

  it('throttling alone never fails the wait: at the deadline it is a timeout', async () => {
    const c = fakeClock();
    const out = await waitForJobs(
      { ...base, timeoutMs: 5 * MIN },
      {
        clock: c.clock,
        random: NO_JITTER,
        list: async () => {
          throw throttle();
        },
      },
    );
    expect(out.result).toBe('timeout');
    expect(out.throttled).toBeGreaterThan(1);
    expect(c.clock.now() - c.start).toBe(5 * MIN);
  });

  it('without it, a throttled poll is a failed poll and the schedule does not move', async () => {
    const c = fakeClock();
    const { list: inner } = api(c, [
      scripted('job-1', [
        [0, 'RUNNING'],
        [1 * MIN, 'COMPLETE'],
      ]),
    ]);
    let calls = 0;
    const list = async (q: ListJobsQuery) => {
      calls++;
      if (calls === 2) throw throttle();
      return inner(q);
    };
    const out = await waitForJobs(base, { clock: c.clock, random: NO_JITTER, list, adaptive: false });
    expect(out.throttled).toBe(0);
    expect(c.sleeps.slice(0, 3)).toEqual([5_000, 10_000, 20_000]);
  });
});
