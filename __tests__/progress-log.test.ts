import { describe, expect, it } from 'vitest';
import type { MainJob, StatusChange } from '../src/domain/types.ts';
import { ProgressLog } from '../src/report/progress-log.ts';

function sink() {
  const lines: string[] = [];
  return {
    lines,
    info: (m: string) => lines.push(m),
    startGroup: (m: string) => lines.push(`::group::${m}`),
    endGroup: () => lines.push('::endgroup::'),
  };
}

const job: MainJob = { job_id: 'j1', job_type: 'UPGRADE', status: 'RUNNING' };
const change = (c: Partial<StatusChange>): StatusChange => ({
  jobId: 'j1',
  to: 'RUNNING',
  job: job,
  elapsedMs: 0,
  ...c,
});

describe('ProgressLog', () => {
  it('writes a job line per change, its sub-jobs grouped under it', () => {
    const s = sink();
    const log = new ProgressLog(s);
    log.changes(
      [
        change({ from: 'INIT', to: 'RUNNING', elapsedMs: 5_000 }),
        change({
          subJob: { job_id: 's1', job_type: 'UPGRADE_INIT' },
          from: 'INIT',
          to: 'RUNNING',
          elapsedMs: 5_000,
        }),
      ],
      5_000,
    );
    log.changes(
      [
        change({
          subJob: { job_id: 's1', job_type: 'UPGRADE_INIT', error_code: 'ELB.1', error_msg: 'x' },
          from: 'RUNNING',
          to: 'FAIL',
          elapsedMs: 65_000,
        }),
      ],
      65_000,
    );
    log.changes(
      [
        change({
          jobId: 'j2',
          job: { job_id: 'j2', status: 'COMPLETE' },
          from: 'RUNNING',
          to: 'COMPLETE',
          elapsedMs: 70_000,
        }),
      ],
      70_000,
    );
    log.changes([], 75_000);
    expect(s.lines).toEqual([
      '::group::[5s] UPGRADE job j1: INIT -> RUNNING',
      'UPGRADE_INIT s1: INIT -> RUNNING',
      '::endgroup::',
      '::group::[1m 5s] UPGRADE job j1: RUNNING, 1 sub-job changed',
      'UPGRADE_INIT s1: RUNNING -> FAIL (ELB.1: x)',
      '::endgroup::',
      '[1m 10s] job j2: RUNNING -> COMPLETE',
    ]);
  });

  it('beats at most once a minute while nothing changes, and not right after a change', () => {
    const s = sink();
    const log = new ProgressLog(s);
    const pending = [{ jobId: 'j1', job }];
    log.changes([change({ elapsedMs: 0 })], 0);
    for (let t = 5_000; t <= 180_000; t += 5_000) log.heartbeat(pending, t, 30_000);
    expect(s.lines.slice(1)).toEqual([
      '[1m] UPGRADE job j1 still RUNNING after 1m; next check in 30s',
      '[2m] UPGRADE job j1 still RUNNING after 2m; next check in 30s',
      '[3m] UPGRADE job j1 still RUNNING after 3m; next check in 30s',
    ]);
    log.changes([change({ from: 'RUNNING', to: 'COMPLETE', elapsedMs: 200_000 })], 200_000);
    log.heartbeat(pending, 230_000, 30_000);
    expect(s.lines).toHaveLength(5);
  });

  it('summarises several pending jobs in one heartbeat', () => {
    const s = sink();
    new ProgressLog(s).heartbeat([{ jobId: 'a', job }, { jobId: 'b' }], 60_000, 5_000);
    expect(s.lines).toEqual([
      '[1m] 2 jobs still in progress after 1m (a RUNNING, b not listed); next check in 5s',
    ]);
  });
});
