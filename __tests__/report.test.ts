import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/http.ts';
import { errorText, escapeText, headline, outputs, renderSummary } from '../src/report.ts';
import type { MainJob } from '../src/types.ts';
import type { WaitOutcome } from '../src/waiter.ts';

const NOW = Date.parse('2024-03-23T09:00:00Z');
const FAIL_ON = ['FAIL', 'ROLLBACK_FAIL'];

const completed: MainJob = {
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

const failed: MainJob = {
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

function outcome(partial: Partial<WaitOutcome>): WaitOutcome {
  return { result: 'success', tracked: [], elapsedMs: 65_000, polls: 4, ...partial };
}

describe('escapeText', () => {
  it('neutralises HTML, table pipes, links, code spans and new lines', () => {
    expect(escapeText('<img src=x onerror=alert(1)> a|b [x](y) `c` \\ "q" \'s\'\nnext')).toBe(
      '&#60;img src=x onerror=alert(1)&#62; a&#124;b &#91;x&#93;(y) &#96;c&#96; &#92; &#34;q&#34; &#39;s&#39; next',
    );
  });
});

describe('renderSummary', () => {
  it('puts the failed job first, its failed sub-job first, with the error escaped', () => {
    const out = outcome({
      result: 'failure',
      tracked: [
        { jobId: 'job-ok', job: completed, finishedAtPoll: 1 },
        { jobId: 'job-bad', job: failed, finishedAtPoll: 2 },
      ],
      failing: failed,
    });
    const md = renderSummary({ outcome: out, failOn: FAIL_ON, now: NOW, headline: headline(out, 3_600_000) });
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ ELB job wait: failure');
    expect(lines[2]).toBe(
      'UPGRADE job job-bad ended in FAIL (ELB.8907: backend &#60;b&#62;unhealthy&#60;/b&#62; &#124; retry) after 1m 5s',
    );
    expect(md.indexOf('job-bad')).toBeLessThan(md.indexOf('job-ok'));
    expect(md).toContain('### ❌ FAIL (fails the step): UPGRADE job-bad');
    expect(md).toContain('Resource lb-2 · began 2024-03-23T08:30:00Z · ended 2024-03-23T08:35:30Z · 5m 30s');
    const rows = lines.filter((l) => l.startsWith('| **') || l.startsWith('| ✅'));
    expect(rows[0]).toBe(
      '| **❌ FAIL** | **UPGRADE_TRAFFIC_SWITCH** |  | **2024-03-23T08:31:00Z** | **2024-03-23T08:35:30Z** | **4m 30s** | **ELB.8907: backend &#60;b&#62;unhealthy&#60;/b&#62; &#124; retry** |',
    );
    // Sub-jobs of the completed job in begin order, entities shown.
    const okRows = lines.filter((l) => l.includes('loadbalancer lb-1'));
    expect(okRows.map((l) => l.split(' | ')[1])).toEqual(['UPGRADE_INIT', 'UPGRADE_TRAFFIC_SWITCH']);
    expect(okRows[0]).toContain('| 26m 2s |');
    expect(md).not.toContain('<b>');
  });

  it('shows a running job with its duration so far and a job never listed', () => {
    const running: MainJob = {
      job_id: 'r',
      job_type: 'UPGRADE',
      status: 'RUNNING',
      begin_time: '2024-03-23T08:50:00Z',
      end_time: '',
    };
    const out = outcome({ result: 'timeout', tracked: [{ jobId: 'r', job: running }, { jobId: 'ghost' }] });
    const md = renderSummary({ outcome: out, failOn: FAIL_ON, now: NOW, headline: headline(out, 600_000) });
    expect(md).toContain('## ⏱️ ELB job wait: timeout');
    expect(md).toContain(
      'Timed out after 1m 5s (timeout 10m) waiting for UPGRADE job r last RUNNING, job ghost not listed',
    );
    expect(md).toContain('ended – · 10m so far');
    expect(md).toContain('### ❔ Job `ghost`');
  });

  it('stays under the byte limit with a note when the jobs do not fit', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      jobId: `job-${i}`,
      job: {
        ...completed,
        job_id: `job-${i}`,
        sub_jobs: Array.from({ length: 20 }, () => completed.sub_jobs?.[0] ?? {}),
      },
      finishedAtPoll: 1,
    }));
    const out = outcome({ tracked: many });
    const limit = 100_000;
    const md = renderSummary({ outcome: out, failOn: FAIL_ON, now: NOW, headline: 'x', limitBytes: limit });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(limit);
    expect(md).toMatch(/Summary cut to stay under GitHub's 1 MiB limit: \d+ of 400 jobs shown/);
    const full = renderSummary({
      outcome: out,
      failOn: FAIL_ON,
      now: NOW,
      headline: 'x',
      limitBytes: 10_000_000,
    });
    expect(Buffer.byteLength(full)).toBeGreaterThan(limit);
    expect(full).not.toContain('Summary cut');
  });
});

describe('outputs', () => {
  it('reports the failing job and its sub-job error', () => {
    const out = outcome({
      result: 'failure',
      tracked: [
        { jobId: 'job-ok', job: completed, finishedAtPoll: 1 },
        { jobId: 'job-bad', job: failed, finishedAtPoll: 2 },
      ],
      failing: failed,
      lastFinished: failed,
    });
    expect(outputs(out)).toEqual({
      status: 'FAIL',
      result: 'failure',
      job_id: 'job-ok',
      jobs: JSON.stringify([completed, failed]),
      error_code: 'ELB.8907',
      error_msg: 'backend <b>unhealthy</b> | retry',
      elapsed_seconds: '65',
    });
  });

  it('reports the API error that ended the step', () => {
    const error = new ApiError({
      status: 401,
      errorCode: 'APIGW.0301',
      errorMsg: 'Incorrect IAM authentication information',
      requestId: 'req-1',
      message: 'HTTP 401',
    });
    const out = outcome({ result: 'error', tracked: [{ jobId: 'j' }], error });
    expect(outputs(out)).toMatchObject({ result: 'error', status: '', error_code: 'APIGW.0301', jobs: '[]' });
    expect(headline(out, 0)).toContain('Check that access_key and secret_key belong together');
  });
});

describe('errorText', () => {
  const denied = (init: Partial<ConstructorParameters<typeof ApiError>[0]>) =>
    new ApiError({
      status: 401,
      errorCode: 'APIGW.0301',
      errorMsg: '',
      requestId: 'r1',
      message: 'HTTP 401 x',
      ...init,
    });

  it('401: the gateway canonical request, one line each', () => {
    const text = errorText(
      denied({
        errorMsg: 'verify aksk signature fail, canonicalRequest: GET|/v3/p/elb/jobs/|a=1|host:h||host|e3b0',
      }),
    );
    expect(text.split('\n')).toEqual([
      'HTTP 401 x. Not retried: Huawei Cloud locks an AK after repeated failed authentications.',
      expect.stringContaining('Check that access_key and secret_key belong together'),
      "The gateway's canonical request was:",
      '  GET',
      '  /v3/p/elb/jobs/',
      '  a=1',
      '  host:h',
      '  ',
      '  host',
      '  e3b0',
    ]);
  });

  it('401 with the runner clock 16 minutes off: the clock hint instead', () => {
    const ahead = errorText(denied({ clockSkewMs: 16 * 60_000 }));
    expect(ahead).toContain("The runner's clock is 16m ahead of the gateway's");
    expect(ahead).not.toContain('belong together');
    expect(errorText(denied({ clockSkewMs: -20 * 60_000 }))).toContain('20m behind');
    expect(errorText(denied({ clockSkewMs: 14 * 60_000 }))).toContain('belong together');
  });

  it('403: the permission to grant', () => {
    expect(errorText(denied({ status: 403 }))).toContain(
      'lack permission: grant the IAM user or agency read access to ELB',
    );
  });

  it('other errors: the message alone', () => {
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText(denied({ status: 400 }))).toBe('HTTP 401 x');
  });
});
