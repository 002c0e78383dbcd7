/**
 * Bad input: every case stops the action before its first request, with an error that names the input, says what
 * is wrong and shows a valid example; outputs and summary are still written. The matrix runs in process; one case
 * runs the bundle, as the runner does (file commands, exit code).
 */
import { describe, expect, it } from 'vitest';
import { AK, type E2E, errors, SK, useEmulator } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

const JOB = '3f0e2b7c-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

/** [case, inputs, env, the input the error must name, a fragment of what is wrong]. */
const CASES: Array<[string, Record<string, string>, Record<string, string>, string, RegExp]> = [
  ['duration with words', { timeout: '10 minutes' }, {}, 'timeout', /invalid duration/],
  ['negative duration', { timeout: '-5s' }, {}, 'timeout', /invalid duration/],
  ['repeated unit', { timeout: '1h1h' }, {}, 'timeout', /more than once/],
  ['zero poll_interval', { poll_interval: '0' }, {}, 'poll_interval', /at least 100ms|greater than|must be/],
  ['unknown unit', { poll_interval: '5x' }, {}, 'poll_interval', /invalid duration/],
  [
    'max below poll',
    { poll_interval: '10s', max_poll_interval: '2s' },
    {},
    'max_poll_interval',
    /poll_interval/,
  ],
  ['zero request_timeout', { request_timeout: '0s' }, {}, 'request_timeout', /at least 1s|must be/],
  ['unknown fail_on status', { fail_on: 'FAIL,BROKEN' }, {}, 'fail_on', /BROKEN/],
  ['in-progress fail_on status', { fail_on: 'RUNNING' }, {}, 'fail_on', /RUNNING/],
  ['impossible begin_time', { begin_time: '2024-02-30T10:00:00' }, {}, 'begin_time', /2024-02-30/],
  ['begin_time in words', { begin_time: 'yesterday' }, {}, 'begin_time', /yesterday|not a time|format/],
  ['begin_time without time', { begin_time: '2024-03-23' }, {}, 'begin_time', /time/],
  ['bad region', { endpoint: '', region: 'North China' }, {}, 'region', /region/],
  ['no region nor endpoint', { endpoint: '', region: '' }, {}, 'region', /region/],
  ['non-HTTP endpoint', { endpoint: 'ftp://elb.example.com' }, {}, 'endpoint', /http/],
  ['endpoint not a URL', { endpoint: 'elb example' }, {}, 'endpoint', /URL|url/],
  ['non-HTTP iam_endpoint', { iam_endpoint: 'file:///etc/passwd' }, {}, 'iam_endpoint', /http/],
  ['no credentials', { access_key: '', secret_key: '' }, {}, 'access_key', /credential|access_key/],
  ['AK without SK', { secret_key: '' }, {}, 'secret_key', /secret_key/],
  [
    'SK without AK in env',
    { access_key: '', secret_key: '' },
    { HUAWEICLOUD_SDK_SK: SK },
    'access_key',
    /HUAWEICLOUD_SDK_AK/,
  ],
  ['AK with a space', { access_key: 'AK WITH SPACE' }, {}, 'access_key', /space|whitespace|printable/],
  ['neither job_id nor resource_id', { job_id: '' }, {}, 'job_id', /resource_id/],
  ['job ID with a space', { job_id: `${JOB}, abc def` }, {}, 'job_id', /abc def/],
  ['resource ID with a slash', { job_id: '', resource_id: 'lb/1' }, {}, 'resource_id', /lb\/1/],
  ['project ID with a slash', { project_id: 'a/b' }, {}, 'project_id', /project/],
  ['fail_fast not a boolean', { fail_fast: 'maybe' }, {}, 'fail_fast', /true|false/],
  ['summary not a boolean', { summary: 'nope' }, {}, 'summary', /true|false/],
];

async function expectStopped(
  e2e: E2E,
  [, inputs, env, input, fragment]: (typeof CASES)[number],
): Promise<void> {
  const r = await e2e.run({ job_id: JOB, ...inputs }, env);
  expect(r.code).toBe(1);
  expect(e2e.emulator.requests).toHaveLength(0);
  const error = decodeURIComponent(errors(r));
  expect(error.split('\n')[0]).toMatch(new RegExp(`^::error::Input '${input}': `));
  expect(error).toMatch(fragment);
  expect(error).toMatch(new RegExp(`Example: ${input}: \\S`));
  expect(error).not.toContain(AK.slice(4));
  expect(r.outputs).toMatchObject({ result: 'error', status: '', jobs: '[]' });
  expect(r.summary.split('\n')[0]).toBe('## ⚠️ ERROR');
}

describe('bad input stops before the first request', () => {
  const e2e = useInProcess();
  it.each(CASES)('%s', (...c) => expectStopped(e2e, c));
});

describe('bad input, end to end', () => {
  const e2e = useEmulator();
  it('max below poll', () =>
    expectStopped(e2e, CASES.find(([name]) => name === 'max below poll') as (typeof CASES)[number]));
});
