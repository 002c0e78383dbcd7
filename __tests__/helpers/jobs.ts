/** Jobs shaped like the API's, for the summary and report tests. */
import type { MainJob, WaitOutcome } from '../../src/domain/types.ts';

export const NOW = Date.parse('2024-03-23T09:00:00Z');
export const FAIL_ON = ['FAIL', 'ROLLBACK_FAIL'];

export const completed: MainJob = {
  job_id: 'job-ok',
  job_type: 'UPGRADE',
  status: 'COMPLETE',
  resource_id: 'lb-1',
  begin_time: '2024-03-23T08:20:42Z',
  end_time: '2024-03-23T08:49:11Z',
  error_code: '',
  error_msg: '',
  sub_jobs: [
    {
      job_id: 's2',
      job_type: 'UPGRADE_TRAFFIC_SWITCH',
      status: 'SUCCESS',
      begin_time: '2024-03-23T08:47:11Z',
      end_time: '2024-03-23T08:47:11Z',
      entities: [{ resource_id: 'lb-1', resource_type: 'loadbalancer' }],
    },
    {
      job_id: 's1',
      job_type: 'UPGRADE_INIT',
      status: 'SUCCESS',
      begin_time: '2024-03-23T08:20:42Z',
      end_time: '2024-03-23T08:46:44Z',
      entities: [{ resource_id: 'lb-1', resource_type: 'loadbalancer' }],
    },
  ],
};

export const failed: MainJob = {
  job_id: 'job-bad',
  job_type: 'UPGRADE',
  status: 'FAIL',
  resource_id: 'lb-2',
  begin_time: '2024-03-23T08:30:00Z',
  end_time: '2024-03-23T08:35:30Z',
  error_code: '',
  error_msg: '',
  sub_jobs: [
    {
      job_id: 'f1',
      job_type: 'UPGRADE_INIT',
      status: 'SUCCESS',
      begin_time: '2024-03-23T08:30:00Z',
      end_time: '2024-03-23T08:31:00Z',
    },
    {
      job_id: 'f2',
      job_type: 'UPGRADE_TRAFFIC_SWITCH',
      status: 'FAIL',
      begin_time: '2024-03-23T08:31:00Z',
      end_time: '2024-03-23T08:35:30Z',
      error_code: 'ELB.8907',
      error_msg: 'backend <b>unhealthy</b> | retry',
    },
  ],
};

export function outcome(partial: Partial<WaitOutcome>): WaitOutcome {
  return { result: 'success', tracked: [], elapsedMs: 65_000, polls: 4, ...partial } as WaitOutcome;
}

/** A completed and a failed upgrade, waited for in that order; the failed one fails the step. */
export function oneFailedOfTwo(partial: Partial<WaitOutcome> = {}): WaitOutcome {
  return outcome({
    result: 'failure',
    tracked: [
      { jobId: 'job-ok', job: completed, finishedAtPoll: 1 },
      { jobId: 'job-bad', job: failed, finishedAtPoll: 2 },
    ],
    failing: failed,
    ...partial,
  });
}
