import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/huawei/http.ts';
import { errorText, headline, outputs } from '../src/report/verdict.ts';
import { completed, failed, oneFailedOfTwo, outcome } from './helpers/jobs.ts';

describe('outputs', () => {
  it('reports the failing job and its sub-job error', () => {
    const out = oneFailedOfTwo({ lastFinished: failed });
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
