import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_YML, inputDefaults } from '../emulator/action-runner.ts';
import { normaliseBeginTime } from '../src/domain/time.ts';
import type { Config } from '../src/domain/types.ts';
import {
  DEFAULTS,
  defaultEndpoint,
  InputError,
  type InputHooks,
  type InputSource,
  parseInputs,
} from '../src/inputs/inputs.ts';
import { Secrets } from '../src/secrets.ts';

const AK = 'AKINPUT0000EXAMPLE01';
const SK = 'skInputSecretValue000000000000000000001';
const JOB = 'ef6da45b-35d9-4c18-8c35-0b80d94ab9e6';
const RESOURCE = '9f5b432c-987e-4777-a1bc-6642be4b2b50';
const PROJECT = '7b7705dce1e847b08b3b16dda67fec24';

/** What the runner passes when a workflow sets only credentials, region and job_id. */
const RUNNER_DEFAULTS: Record<string, string> = { ...DEFAULTS };

type Inputs = Record<string, string>;
type Env = Record<string, string | undefined>;

function source(inputs: Inputs, env: Env = {}): InputSource {
  return { getInput: (name) => (inputs[name] ?? '').trim(), env };
}

type Event = { type: 'secret' | 'warning'; value: string };

function recorder(): InputHooks & { events: Event[]; masked(): string[]; warnings(): string[] } {
  const events: Event[] = [];
  return {
    events,
    secrets: new Secrets((value) => events.push({ type: 'secret', value })),
    warning: (value) => events.push({ type: 'warning', value }),
    masked: () => events.filter((e) => e.type === 'secret').map((e) => e.value),
    warnings: () => events.filter((e) => e.type === 'warning').map((e) => e.value),
  };
}

const base: Inputs = {
  ...RUNNER_DEFAULTS,
  access_key: AK,
  secret_key: SK,
  region: 'cn-north-4',
  job_id: JOB,
};

function parse(inputs: Inputs, env: Env = {}, now = Date.parse('2024-03-23T09:00:00Z')) {
  const hooks = recorder();
  const config = parseInputs(source(inputs, env), hooks, () => now);
  return { config, hooks };
}

function parseError(
  inputs: Inputs,
  env: Env = {},
): { error: InputError; hooks: ReturnType<typeof recorder> } {
  const hooks = recorder();
  try {
    parseInputs(source(inputs, env), hooks, () => Date.parse('2024-03-23T09:00:00Z'));
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return { error: error as InputError, hooks };
  }
  throw new Error('parseInputs did not throw');
}

const expectedBase: Config = {
  region: 'cn-north-4',
  projectId: undefined,
  endpoint: 'https://elb.cn-north-4.myhuaweicloud.com',
  iamEndpoint: 'https://iam.cn-north-4.myhuaweicloud.com',
  credentials: { kind: 'aksk', accessKey: AK, secretKey: SK },
  jobIds: [JOB],
  resourceId: undefined,
  jobType: undefined,
  beginTime: undefined,
  timeoutMs: 3_600_000,
  pollIntervalMs: 5000,
  maxPollIntervalMs: 30_000,
  requestTimeoutMs: 30_000,
  failOn: ['FAIL', 'ROLLBACK_FAIL'],
  failFast: true,
  summary: true,
  checkName: undefined,
  githubToken: undefined,
};

describe('DEFAULTS and defaultEndpoint', () => {
  it('match action.yml', () => {
    const declared = inputDefaults(readFileSync(ACTION_YML, 'utf8'));
    for (const [name, value] of Object.entries(DEFAULTS))
      expect([name, declared.get(name)]).toEqual([name, value]);
  });

  it('builds the public ELB endpoint of a region', () => {
    expect(defaultEndpoint('ap-southeast-1')).toBe('https://elb.ap-southeast-1.myhuaweicloud.com');
  });
});

describe('parseInputs: valid input', () => {
  it('reads a minimal workflow with the runner defaults', () => {
    const { config, hooks } = parse(base);
    expect(config).toEqual(expectedBase);
    expect(hooks.warnings()).toEqual([]);
  });

  it('treats empty inputs as their defaults', () => {
    const { config } = parse({
      ...base,
      timeout: '',
      poll_interval: '',
      max_poll_interval: '',
      request_timeout: '',
      fail_on: '',
      fail_fast: '',
      summary: '',
    });
    expect(config).toEqual(expectedBase);
  });

  it('reads every option', () => {
    const { config, hooks } = parse({
      ...base,
      project_id: PROJECT,
      endpoint: 'http://127.0.0.1:8080/elb-proxy/',
      iam_endpoint: 'https://IAM.example.com//',
      job_id: ` ${JOB},\n\n job-2 , ${JOB}\nJOB_3,`,
      job_type: 'UPGRADE',
      begin_time: '2024-03-23T16:20:42+08:00',
      timeout: '1h30m',
      poll_interval: '2s',
      max_poll_interval: '1m',
      request_timeout: '10s',
      fail_on: 'fail\ncancel, FAIL ,Rollback_Fail',
      fail_fast: 'False',
      summary: 'FALSE',
      check_name: 'ELB upgrade',
      github_token: 'ghs_exampletoken0001',
      security_token: 'tokenInput0001',
    });
    expect(config).toEqual({
      ...expectedBase,
      projectId: PROJECT,
      endpoint: 'http://127.0.0.1:8080/elb-proxy',
      iamEndpoint: 'https://iam.example.com',
      credentials: { kind: 'aksk', accessKey: AK, secretKey: SK, securityToken: 'tokenInput0001' },
      jobIds: [JOB, 'job-2', 'JOB_3'],
      jobType: 'UPGRADE',
      beginTime: '2024-03-23T08:20:42',
      timeoutMs: 5_400_000,
      pollIntervalMs: 2000,
      maxPollIntervalMs: 60_000,
      requestTimeoutMs: 10_000,
      failOn: ['FAIL', 'CANCEL', 'ROLLBACK_FAIL'],
      failFast: false,
      summary: false,
      checkName: 'ELB upgrade',
      githubToken: 'ghs_exampletoken0001',
    });
    expect(hooks.warnings()).toEqual([]);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('reads the boolean %j', (text, value) => {
    const { config } = parse({ ...base, fail_fast: text, summary: text });
    expect(config.failFast).toBe(value);
    expect(config.summary).toBe(value);
  });

  it('accepts timeout 0 (check once) and the duration floors', () => {
    const { config } = parse({ ...base, timeout: '0', poll_interval: '100ms', request_timeout: '1s' });
    expect(config.timeoutMs).toBe(0);
    expect(config.pollIntervalMs).toBe(100);
    expect(config.maxPollIntervalMs).toBe(30_000);
    expect(config.requestTimeoutMs).toBe(1000);
  });

  it('accepts max_poll_interval equal to poll_interval', () => {
    const { config } = parse({ ...base, poll_interval: '10s', max_poll_interval: '10' });
    expect(config.pollIntervalMs).toBe(10_000);
    expect(config.maxPollIntervalMs).toBe(10_000);
  });

  it('raises the default max_poll_interval to a longer poll_interval instead of failing', () => {
    expect(parse({ ...base, poll_interval: '1m' }).config.maxPollIntervalMs).toBe(60_000);
    expect(parse({ ...base, poll_interval: '1m', max_poll_interval: '' }).config.maxPollIntervalMs).toBe(
      60_000,
    );
  });

  it('waits for the newest job of a resource when only resource_id is set', () => {
    const { config } = parse({ ...base, job_id: '', resource_id: RESOURCE, job_type: 'UPGRADE' });
    expect(config.jobIds).toEqual([]);
    expect(config.resourceId).toBe(RESOURCE);
    expect(config.jobType).toBe('UPGRADE');
  });

  it('prefers job_id over resource_id, with a warning', () => {
    const { config, hooks } = parse({ ...base, resource_id: RESOURCE });
    expect(config.jobIds).toEqual([JOB]);
    expect(config.resourceId).toBeUndefined();
    expect(hooks.warnings()).toEqual([
      'Both job_id and resource_id are set: waiting for job_id, resource_id is ignored.',
    ]);
  });

  it('needs no region when endpoint and project_id are set', () => {
    const { config } = parse({
      ...base,
      region: '',
      endpoint: 'https://elb.example.eu',
      project_id: PROJECT,
    });
    expect(config.region).toBeUndefined();
    expect(config.endpoint).toBe('https://elb.example.eu');
    expect(config.projectId).toBe(PROJECT);
  });

  it.each([
    ['cn-north-4', 'https://elb.cn-north-4.myhuaweicloud.com'],
    ['ap-southeast-1', 'https://elb.ap-southeast-1.myhuaweicloud.com'],
    ['eu-west-101', 'https://elb.eu-west-101.myhuaweicloud.eu'],
    ['my-kualalumpur-1', 'https://elb.my-kualalumpur-1.myhuaweicloud.com'],
    ['cn-southwest-242', 'https://elb.cn-southwest-242.myhuaweicloud.com'],
  ])('accepts the region %s', (region, endpoint) => {
    const { config } = parse({ ...base, region });
    expect(config.region).toBe(region);
    expect(config.endpoint).toBe(endpoint);
  });

  it('warns when begin_time is in the future', () => {
    const now = Date.parse('2024-03-23T08:00:00Z');
    const { config, hooks } = parse({ ...base, begin_time: '2024-03-23T16:20:42' }, {}, now);
    expect(config.beginTime).toBe('2024-03-23T16:20:42');
    expect(hooks.warnings()).toEqual([
      'begin_time 2024-03-23T16:20:42 (UTC) is 8h 20m 42s in the future: no job started then yet. ' +
        'A time without a zone is taken as UTC; add one, e.g. +08:00.',
    ]);
  });

  it('does not warn about a begin_time less than a minute ahead (clock skew)', () => {
    const now = Date.parse('2024-03-23T08:20:00Z');
    expect(parse({ ...base, begin_time: '2024-03-23T08:21:00Z' }, {}, now).hooks.warnings()).toEqual([]);
  });
});

describe('parseInputs: environment fallbacks', () => {
  const noKeys: Inputs = { ...base, access_key: '', secret_key: '' };
  const pair1 = { HUAWEICLOUD_SDK_AK: 'AKPAIR1', HUAWEICLOUD_SDK_SK: 'SKPAIR1secret' };
  const pair2 = { HUAWEI_CLOUD_ACCESS_KEY_ID: 'AKPAIR2', HUAWEI_CLOUD_SECRET_ACCESS_KEY: 'SKPAIR2secret' };
  const pair3 = { CLOUD_SDK_AK: 'AKPAIR3', CLOUD_SDK_SK: 'SKPAIR3secret' };

  it.each([
    ['all three pairs', { ...pair1, ...pair2, ...pair3 }, 'AKPAIR1', 'SKPAIR1secret'],
    ['HUAWEI_CLOUD_* and CLOUD_SDK_*', { ...pair2, ...pair3 }, 'AKPAIR2', 'SKPAIR2secret'],
    ['CLOUD_SDK_* only', pair3, 'AKPAIR3', 'SKPAIR3secret'],
    [
      'untrimmed values',
      { HUAWEICLOUD_SDK_AK: ' AKPAIR1\n', HUAWEICLOUD_SDK_SK: 'SKPAIR1secret\n' },
      'AKPAIR1',
      'SKPAIR1secret',
    ],
    [
      'blank higher pair',
      { HUAWEICLOUD_SDK_AK: '  ', HUAWEICLOUD_SDK_SK: '', ...pair3 },
      'AKPAIR3',
      'SKPAIR3secret',
    ],
  ])('AK/SK from env: %s', (_name, env, accessKey, secretKey) => {
    const { config, hooks } = parse(noKeys, env);
    expect(config.credentials).toEqual({ kind: 'aksk', accessKey, secretKey });
    expect(hooks.warnings()).toEqual([]);
  });

  it('AK/SK inputs win over the environment', () => {
    const { config } = parse(base, { ...pair1, ...pair2, ...pair3 });
    expect(config.credentials).toEqual({ kind: 'aksk', accessKey: AK, secretKey: SK });
  });

  it('takes the security token from the environment with environment keys', () => {
    const { config } = parse(noKeys, { ...pair2, HUAWEICLOUD_SDK_SECURITY_TOKEN: 'envToken0001' });
    expect(config.credentials).toEqual({
      kind: 'aksk',
      accessKey: 'AKPAIR2',
      secretKey: 'SKPAIR2secret',
      securityToken: 'envToken0001',
    });
  });

  it('prefers the security_token input over the environment', () => {
    const { config } = parse(
      { ...noKeys, security_token: 'inputToken0001' },
      { ...pair1, HUAWEICLOUD_SDK_SECURITY_TOKEN: 'envToken0001' },
    );
    expect(config.credentials).toEqual({
      kind: 'aksk',
      accessKey: 'AKPAIR1',
      secretKey: 'SKPAIR1secret',
      securityToken: 'inputToken0001',
    });
  });

  it('uses the environment security token with AK/SK inputs too, as the contract says, with a warning', () => {
    const { config, hooks } = parse(base, { HUAWEICLOUD_SDK_SECURITY_TOKEN: 'envToken0001' });
    expect(config.credentials).toEqual({
      kind: 'aksk',
      accessKey: AK,
      secretKey: SK,
      securityToken: 'envToken0001',
    });
    expect(hooks.warnings()).toEqual([
      'Using HUAWEICLOUD_SDK_SECURITY_TOKEN with the access_key/secret_key inputs. If those are permanent keys, ' +
        'clear the variable (or set security_token to the token that belongs to them).',
    ]);
  });

  it.each([
    [
      'input first',
      { region: 'ap-southeast-1' },
      { HUAWEICLOUD_SDK_REGION: 'eu-west-101', HUAWEI_CLOUD_REGION: 'cn-east-3' },
      'ap-southeast-1',
    ],
    [
      'HUAWEICLOUD_SDK_REGION second',
      { region: '' },
      { HUAWEICLOUD_SDK_REGION: 'eu-west-101', HUAWEI_CLOUD_REGION: 'cn-east-3' },
      'eu-west-101',
    ],
    ['HUAWEI_CLOUD_REGION third', { region: '' }, { HUAWEI_CLOUD_REGION: 'cn-east-3' }, 'cn-east-3'],
  ])('region: %s', (_name, inputs, env, region) => {
    const { config } = parse({ ...base, ...inputs }, env);
    expect(config.region).toBe(region);
    expect(config.endpoint).toBe(defaultEndpoint(region));
  });

  it.each([
    [
      'input first',
      { project_id: 'p-input' },
      { HUAWEICLOUD_SDK_PROJECT_ID: 'p-sdk', HUAWEI_CLOUD_PROJECT_ID: 'p-auth' },
      'p-input',
    ],
    [
      'HUAWEICLOUD_SDK_PROJECT_ID second',
      {},
      { HUAWEICLOUD_SDK_PROJECT_ID: 'p-sdk', HUAWEI_CLOUD_PROJECT_ID: 'p-auth' },
      'p-sdk',
    ],
    ['HUAWEI_CLOUD_PROJECT_ID third', {}, { HUAWEI_CLOUD_PROJECT_ID: 'p-auth' }, 'p-auth'],
    ['absent: looked up later', {}, {}, undefined],
  ])('project_id: %s', (_name, inputs, env, projectId) => {
    expect(parse({ ...base, ...inputs }, env).config.projectId).toBe(projectId);
  });

  it.each([
    [
      'input first',
      { iam_endpoint: 'https://iam.cn-north-4.myhuaweicloud.com/' },
      { HUAWEICLOUD_SDK_IAM_ENDPOINT: 'https://iam.example.eu' },
      'https://iam.cn-north-4.myhuaweicloud.com',
    ],
    [
      'env second',
      {},
      { HUAWEICLOUD_SDK_IAM_ENDPOINT: 'https://iam.example.eu/v3-prefix/' },
      'https://iam.example.eu/v3-prefix',
    ],
    ["default: the region's", {}, {}, 'https://iam.cn-north-4.myhuaweicloud.com'],
    [
      'default of eu-west-101: its own site',
      { region: 'eu-west-101' },
      {},
      'https://iam.eu-west-101.myhuaweicloud.eu',
    ],
    [
      'default of a region with no IAM of its own: the global one',
      { region: 'tr-west-1' },
      {},
      'https://iam.myhuaweicloud.com',
    ],
    [
      'default without a region: the global one',
      { region: '', endpoint: 'https://elb.example.eu', project_id: PROJECT },
      {},
      'https://iam.myhuaweicloud.com',
    ],
  ])('iam_endpoint: %s', (_name, inputs, env, iamEndpoint) => {
    expect(parse({ ...base, ...inputs }, env).config.iamEndpoint).toBe(iamEndpoint);
  });
});

describe('parseInputs: credential kinds', () => {
  const noKeys: Inputs = { ...base, access_key: '', secret_key: '' };

  it('uses auth_token from the input', () => {
    const { config, hooks } = parse({ ...noKeys, auth_token: 'MIItokenValue+/=' });
    expect(config.credentials).toEqual({ kind: 'token', authToken: 'MIItokenValue+/=' });
    expect(hooks.warnings()).toEqual([]);
  });

  it('uses auth_token from HUAWEICLOUD_SDK_AUTH_TOKEN', () => {
    const { config } = parse(noKeys, { HUAWEICLOUD_SDK_AUTH_TOKEN: 'MIIenvToken' });
    expect(config.credentials).toEqual({ kind: 'token', authToken: 'MIIenvToken' });
  });

  it('prefers the auth_token input over its environment variable', () => {
    const { config } = parse({ ...noKeys, auth_token: 'MIIinput' }, { HUAWEICLOUD_SDK_AUTH_TOKEN: 'MIIenv' });
    expect(config.credentials).toEqual({ kind: 'token', authToken: 'MIIinput' });
  });

  it('uses idp_id for keyless OIDC, with the audience when set', () => {
    expect(parse({ ...noKeys, idp_id: 'github-oidc' }).config.credentials).toEqual({
      kind: 'oidc',
      idpId: 'github-oidc',
      audience: undefined,
    });
    expect(
      parse({ ...noKeys, idp_id: 'github-oidc', id_token_audience: 'contoso' }).config.credentials,
    ).toEqual({ kind: 'oidc', idpId: 'github-oidc', audience: 'contoso' });
  });

  it('does not take idp_id from the environment (the contract gives it no fallback)', () => {
    const { config, hooks } = parse(base, { HUAWEICLOUD_SDK_IDP_ID: 'env-idp' });
    expect(config.credentials).toEqual({
      kind: 'aksk',
      accessKey: base.access_key,
      secretKey: base.secret_key,
    });
    expect(hooks.warnings()).toEqual([]);
  });

  it('prefers auth_token over idp_id and AK/SK, and says so', () => {
    const { config, hooks } = parse(
      { ...base, auth_token: 'MIIinput', idp_id: 'github-oidc' },
      {
        HUAWEI_CLOUD_ACCESS_KEY_ID: 'AKENV',
        HUAWEI_CLOUD_SECRET_ACCESS_KEY: 'SKENV0',
      },
    );
    expect(config.credentials).toEqual({ kind: 'token', authToken: 'MIIinput' });
    expect(hooks.warnings()).toEqual([
      'Several kinds of credentials are set: auth_token (input); idp_id (input); ' +
        'AK/SK (inputs, env HUAWEI_CLOUD_ACCESS_KEY_ID). Using auth_token, the others are ignored ' +
        '(order: auth_token, idp_id, AK/SK).',
    ]);
  });

  it('prefers idp_id over AK/SK, and says so', () => {
    const { config, hooks } = parse({ ...base, idp_id: 'github-oidc' });
    expect(config.credentials).toEqual({ kind: 'oidc', idpId: 'github-oidc', audience: undefined });
    expect(hooks.warnings()).toEqual([
      'Several kinds of credentials are set: idp_id (input); AK/SK (inputs). Using idp_id (keyless OIDC), ' +
        'the others are ignored (order: auth_token, idp_id, AK/SK).',
    ]);
  });
});

describe('parseInputs: secrets', () => {
  const allSecrets: Inputs = {
    ...base,
    auth_token: 'authTokenInput01',
    security_token: 'securityTokenInput01',
    github_token: 'ghs_githubToken01',
    idp_id: 'github-oidc',
  };
  const allEnv: Env = {
    HUAWEICLOUD_SDK_AUTH_TOKEN: 'authTokenEnv01',
    HUAWEICLOUD_SDK_AK: 'AKENV1',
    HUAWEICLOUD_SDK_SK: 'SKENV1secret',
    HUAWEI_CLOUD_ACCESS_KEY_ID: 'AKENV2',
    HUAWEI_CLOUD_SECRET_ACCESS_KEY: 'SKENV2secret',
    CLOUD_SDK_AK: 'AKENV3',
    CLOUD_SDK_SK: 'SKENV3secret',
    HUAWEICLOUD_SDK_SECURITY_TOKEN: 'securityTokenEnv01',
  };
  const everySecret = [
    'authTokenInput01',
    'authTokenEnv01',
    AK,
    SK,
    'AKENV1',
    'SKENV1secret',
    'AKENV2',
    'SKENV2secret',
    'AKENV3',
    'SKENV3secret',
    'securityTokenInput01',
    'securityTokenEnv01',
    'ghs_githubToken01',
  ];

  it('masks every secret value, used or not, before the first warning', () => {
    const { hooks } = parse({ ...allSecrets, resource_id: RESOURCE }, allEnv);
    expect(hooks.masked()).toEqual(everySecret);
    const firstWarning = hooks.events.findIndex((e) => e.type === 'warning');
    const lastSecret = hooks.events.findLastIndex((e) => e.type === 'secret');
    expect(hooks.warnings()).toHaveLength(2);
    expect(lastSecret).toBeLessThan(firstWarning);
    for (const warning of hooks.warnings()) {
      for (const secret of everySecret) expect(warning).not.toContain(secret);
    }
  });

  it('masks every secret before reporting a bad input, and the error does not contain them', () => {
    const { error, hooks } = parseError({ ...allSecrets, job_id: '' }, allEnv);
    expect(error.input).toBe('job_id');
    expect(hooks.masked()).toEqual(everySecret);
    for (const secret of everySecret) expect(error.message).not.toContain(secret);
  });

  it('does not mask non-secret inputs', () => {
    const { hooks } = parse({ ...base, project_id: PROJECT, idp_id: '', check_name: 'x' });
    expect(hooks.masked()).toEqual([AK, SK]);
  });

  it('masks a multi-line secret as a whole and line by line', () => {
    const { error, hooks } = parseError({ ...base, auth_token: 'firstLine01\nsecondLine02' });
    expect(hooks.masked()).toEqual(['firstLine01\nsecondLine02', 'firstLine01', 'secondLine02', AK, SK]);
    expect(error.input).toBe('auth_token');
    expect(error.message).toContain('contains whitespace or a line break');
    expect(error.message).not.toContain('firstLine01');
    expect(error.message).not.toContain('secondLine02');
  });

  it('redacts a secret pasted into another input', () => {
    const { error } = parseError({ ...base, job_id: `${AK} x` });
    expect(error.input).toBe('job_id');
    expect(error.message).toBe(
      "Input 'job_id': '*** x' is not a valid job ID (it contains whitespace). " +
        'Example: job_id: ef6da45b-35d9-4c18-8c35-0b80d94ab9e6',
    );
  });
});

describe('parseInputs: bad input', () => {
  const noKeys: Inputs = { ...base, access_key: '', secret_key: '' };
  const secretValues = [AK, SK, 'AK WITH SPACE', 'tok en', 'SKENV1secret', 'AKENV1'];

  it.each<[string, Inputs, Env, string, string]>([
    ['timeout not a duration', { ...base, timeout: 'soon' }, {}, 'timeout', "expected a number at 'soon'"],
    ['timeout negative', { ...base, timeout: '-1m' }, {}, 'timeout', 'must not be negative'],
    ['timeout unknown unit', { ...base, timeout: '2d' }, {}, 'timeout', "unknown unit 'd'"],
    [
      'timeout repeated unit',
      { ...base, timeout: '1h1h' },
      {},
      'timeout',
      "the unit 'h' appears more than once",
    ],
    ['timeout too long', { ...base, timeout: '577h' }, {}, 'timeout', 'at most 576h (24 days)'],
    [
      'poll_interval zero',
      { ...base, poll_interval: '0' },
      {},
      'poll_interval',
      "'0' is too short: at least 100ms",
    ],
    [
      'poll_interval below the floor',
      { ...base, poll_interval: '99ms' },
      {},
      'poll_interval',
      'at least 100ms',
    ],
    [
      'poll_interval units out of order',
      { ...base, poll_interval: '5s1m' },
      {},
      'poll_interval',
      'units must go from the largest',
    ],
    [
      'max_poll_interval below poll_interval',
      { ...base, poll_interval: '20s', max_poll_interval: '10s' },
      {},
      'max_poll_interval',
      "'10s' is shorter than poll_interval '20s'",
    ],
    [
      'max_poll_interval garbage',
      { ...base, max_poll_interval: 'NaN' },
      {},
      'max_poll_interval',
      "expected a number at 'NaN'",
    ],
    [
      'request_timeout zero',
      { ...base, request_timeout: '0s' },
      {},
      'request_timeout',
      "'0s' is too short: at least 1s",
    ],
    [
      'request_timeout below the floor',
      { ...base, request_timeout: '999ms' },
      {},
      'request_timeout',
      'at least 1s',
    ],
    [
      'fail_on unknown status',
      { ...base, fail_on: 'FAIL,BROKEN' },
      {},
      'fail_on',
      "unknown status 'BROKEN' (accepted: FAIL, ROLLBACK_FAIL, CANCEL, SUCCESS, COMPLETE)",
    ],
    [
      'fail_on in-progress status',
      { ...base, fail_on: 'running' },
      {},
      'fail_on',
      "'running' is an in-progress status",
    ],
    ['fail_on empty list', { ...base, fail_on: ' , ' }, {}, 'fail_on', 'no status is listed'],
    [
      'fail_on space-separated',
      { ...base, fail_on: 'FAIL CANCEL' },
      {},
      'fail_on',
      "unknown status 'FAIL CANCEL'",
    ],
    [
      'fail_fast yes',
      { ...base, fail_fast: 'yes' },
      {},
      'fail_fast',
      "'yes' is not a boolean (use true or false)",
    ],
    ['summary 1', { ...base, summary: '1' }, {}, 'summary', "'1' is not a boolean"],
    [
      'begin_time invalid day',
      { ...base, begin_time: '2024-02-30T10:00:00' },
      {},
      'begin_time',
      'there is no such day',
    ],
    [
      'begin_time date alone',
      { ...base, begin_time: '2024-03-23' },
      {},
      'begin_time',
      'a date alone is not enough',
    ],
    [
      'begin_time garbage',
      { ...base, begin_time: 'yesterday' },
      {},
      'begin_time',
      "'yesterday' is not a date-time",
    ],
    [
      'region upper case',
      { ...base, region: 'CN-NORTH-4' },
      {},
      'region',
      "'CN-NORTH-4' is not a region ID (write it in lower case)",
    ],
    [
      'region malformed',
      { ...base, region: 'cn_north_4' },
      {},
      'region',
      "'cn_north_4' is not a region ID (expected e.g. cn-north-4)",
    ],
    [
      'region from env malformed',
      { ...base, region: '' },
      { HUAWEI_CLOUD_REGION: 'north4' },
      'region',
      "'north4' (from env HUAWEI_CLOUD_REGION) is not a region ID",
    ],
    ['region four digits', { ...base, region: 'cn-north-1000' }, {}, 'region', 'is not a region ID'],
    [
      'neither region nor endpoint',
      { ...base, region: '', project_id: PROJECT },
      {},
      'region',
      'no region is set',
    ],
    [
      'neither project_id nor region',
      { ...base, region: '', endpoint: 'https://elb.example.eu' },
      {},
      'project_id',
      'cannot be looked up through IAM without a region',
    ],
    [
      'project_id with a slash',
      { ...base, project_id: 'abc/def' },
      {},
      'project_id',
      "'abc/def' is not a project ID",
    ],
    [
      'project_id with a space',
      { ...base, project_id: 'abc def' },
      {},
      'project_id',
      "'abc def' is not a project ID",
    ],
    [
      'endpoint ftp',
      { ...base, endpoint: 'ftp://elb.example.com' },
      {},
      'endpoint',
      'must use https: or http:, not ftp:',
    ],
    [
      'endpoint not a URL',
      { ...base, endpoint: 'elb.example.com' },
      {},
      'endpoint',
      'is not an absolute URL',
    ],
    [
      'endpoint with credentials',
      { ...base, endpoint: 'https://user:pw@elb.example.com' },
      {},
      'endpoint',
      'must not contain credentials',
    ],
    [
      'endpoint with a query',
      { ...base, endpoint: 'https://elb.example.com/?x=1' },
      {},
      'endpoint',
      'must not contain a query string',
    ],
    [
      'endpoint with an empty query',
      { ...base, endpoint: 'https://elb.example.com/?' },
      {},
      'endpoint',
      'must not contain a query string',
    ],
    [
      'endpoint with a fragment',
      { ...base, endpoint: 'https://elb.example.com/#top' },
      {},
      'endpoint',
      'must not contain a fragment',
    ],
    [
      'iam_endpoint from env',
      { ...base },
      { HUAWEICLOUD_SDK_IAM_ENDPOINT: 'file:///etc/passwd' },
      'iam_endpoint',
      'the value (from env HUAWEICLOUD_SDK_IAM_ENDPOINT) must use https: or http:, not file:',
    ],
    ['no credentials', noKeys, {}, 'access_key', 'no Huawei Cloud credentials found'],
    [
      'secret_key missing',
      { ...base, secret_key: '' },
      {},
      'secret_key',
      'access_key is set but secret_key is empty',
    ],
    [
      'access_key missing',
      { ...base, access_key: '' },
      { HUAWEICLOUD_SDK_AK: 'AKENV1' },
      'access_key',
      'secret_key is set but access_key is empty',
    ],
    [
      'env SK missing',
      noKeys,
      { HUAWEICLOUD_SDK_AK: 'AKENV1', CLOUD_SDK_AK: 'x', CLOUD_SDK_SK: 'y' },
      'secret_key',
      'env HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not',
    ],
    [
      'env AK missing',
      noKeys,
      { HUAWEI_CLOUD_SECRET_ACCESS_KEY: 'SKENV1secret' },
      'access_key',
      'env HUAWEI_CLOUD_SECRET_ACCESS_KEY is set but HUAWEI_CLOUD_ACCESS_KEY_ID is not',
    ],
    [
      'access_key with a space',
      { ...base, access_key: 'AK WITH SPACE' },
      {},
      'access_key',
      'the access key contains whitespace or a line break',
    ],
    [
      'secret_key not ASCII',
      { ...base, secret_key: 'sécret' },
      {},
      'secret_key',
      'the secret key contains characters other than printable ASCII',
    ],
    [
      'env secret key with a space',
      noKeys,
      { HUAWEICLOUD_SDK_AK: 'AKENV1', HUAWEICLOUD_SDK_SK: 'SK ENV' },
      'secret_key',
      'the secret key (from env HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) contains whitespace',
    ],
    [
      'auth_token with a space',
      { ...noKeys, auth_token: 'tok en' },
      {},
      'auth_token',
      'the token contains whitespace',
    ],
    [
      'security_token with a space',
      { ...base, security_token: 'tok en' },
      {},
      'security_token',
      'the security token contains whitespace',
    ],
    [
      'idp_id with a slash',
      { ...noKeys, idp_id: 'a/b' },
      {},
      'idp_id',
      "'a/b' is not an identity provider name",
    ],
    [
      'neither job_id nor resource_id',
      { ...base, job_id: '' },
      {},
      'job_id',
      'set job_id to the job ID returned by the upgrade or copy call, or resource_id to wait for the newest job of a load balancer',
    ],
    [
      'job_id only separators',
      { ...base, job_id: ',\n,' },
      {},
      'job_id',
      'neither job_id nor resource_id is set',
    ],
    [
      'job_id with a space',
      { ...base, job_id: `${JOB}\nabc def` },
      {},
      'job_id',
      "'abc def' is not a valid job ID (it contains whitespace)",
    ],
    [
      'job_id with a slash',
      { ...base, job_id: '../jobs' },
      {},
      'job_id',
      "'../jobs' is not a valid job ID (use letters, digits, - and _ only",
    ],
    [
      'job_id too long',
      { ...base, job_id: 'a'.repeat(129) },
      {},
      'job_id',
      'it is longer than 128 characters',
    ],
    [
      'resource_id with a space',
      { ...base, job_id: '', resource_id: 'lb 1' },
      {},
      'resource_id',
      "'lb 1' is not a valid resource ID",
    ],
    [
      'resource_id as a list',
      { ...base, job_id: '', resource_id: 'lb-1,lb-2' },
      {},
      'resource_id',
      "'lb-1,lb-2' is not a valid resource ID",
    ],
    [
      'job_type with a space',
      { ...base, job_type: 'clone Loadbalancer' },
      {},
      'job_type',
      "'clone Loadbalancer' is not a job type",
    ],
    [
      'check_name on two lines',
      { ...base, check_name: 'a\nb' },
      {},
      'check_name',
      'the name must be a single line',
    ],
  ])('%s', (_name, inputs, env, input, fragment) => {
    const { error, hooks } = parseError(inputs, env);
    expect(error.input).toBe(input);
    expect(error.message).toContain(fragment);
    expect(error.message.startsWith(`Input '${input}': `)).toBe(true);
    expect(error.message).toMatch(new RegExp(`\\. Example: ${input}: \\S`));
    for (const secret of secretValues) {
      expect(error.message).not.toContain(secret);
      for (const warning of hooks.warnings()) expect(warning).not.toContain(secret);
    }
  });

  it('formats the whole message: input, problem, example', () => {
    const { error } = parseError({ ...base, timeout: '1h1h' });
    expect(error.name).toBe('InputError');
    expect(error.message).toBe(
      "Input 'timeout': invalid duration '1h1h': the unit 'h' appears more than once. Example: timeout: 15m",
    );
  });

  it('shows a usable ceiling in the max_poll_interval example', () => {
    const { error } = parseError({ ...base, poll_interval: '20s', max_poll_interval: '10s' });
    expect(error.message).toBe(
      "Input 'max_poll_interval': '10s' is shorter than poll_interval '20s': the ceiling must be at least the " +
        'first delay. Example: max_poll_interval: 1m20s',
    );
  });

  it('explains every way to give credentials', () => {
    const { error } = parseError(noKeys);
    expect(error.message).toBe(
      "Input 'access_key': no Huawei Cloud credentials found. Set access_key and secret_key from repository " +
        'secrets, or run huaweicloud/auth-action earlier in the job (it exports HUAWEI_CLOUD_ACCESS_KEY_ID and ' +
        'HUAWEI_CLOUD_SECRET_ACCESS_KEY), or set idp_id for keyless OIDC (needs permissions: id-token: write), ' +
        'or set auth_token to an IAM token. Example: access_key: $' +
        '{{ secrets.HUAWEICLOUD_AK }}',
    );
  });

  it('does not echo an endpoint that carries credentials', () => {
    const { error } = parseError({ ...base, endpoint: 'https://admin:hunter22@elb.example.com' });
    expect(error.message).not.toContain('hunter22');
    expect(error.message).not.toContain('admin');
  });
});

describe('normaliseBeginTime', () => {
  it.each([
    ['2024-03-23T16:20:42+08:00', '2024-03-23T08:20:42'],
    ['2024-03-23T16:20:42+0800', '2024-03-23T08:20:42'],
    ['2024-03-23T08:20:42Z', '2024-03-23T08:20:42'],
    ['2024-03-23T08:20:42.123Z', '2024-03-23T08:20:42'],
    ['2024-03-23T08:20:42.999999+00:00', '2024-03-23T08:20:42'],
    ['2024-03-23T08:20:42', '2024-03-23T08:20:42'],
    ['2024-03-23T08:20:42.5', '2024-03-23T08:20:42'],
    ['2024-03-23t08:20:42z', '2024-03-23T08:20:42'],
    ['2024-03-23 08:20:42Z', '2024-03-23T08:20:42'],
    ['2024-03-23T02:50:42-05:30', '2024-03-23T08:20:42'],
    ['2024-01-01T05:00:00+08:00', '2023-12-31T21:00:00'],
    ['2023-12-31T22:00:00-03:00', '2024-01-01T01:00:00'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00'],
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00'],
    [' 2024-03-23T08:20:42Z ', '2024-03-23T08:20:42'],
  ])('%j -> %j', (text, expected) => {
    expect(normaliseBeginTime(text)).toBe(expected);
  });

  it.each([
    ['2024-02-30T10:00:00', 'there is no such day'],
    ['2023-02-29T10:00:00', 'there is no such day'],
    ['1900-02-29T10:00:00', 'there is no such day'],
    ['2024-04-31T10:00:00Z', 'there is no such day'],
    ['2024-13-01T10:00:00Z', 'there is no such day'],
    ['2024-00-10T10:00:00Z', 'there is no such day'],
    ['2024-03-23T24:00:00Z', 'the time of day is out of range'],
    ['2024-03-23T23:60:00Z', 'the time of day is out of range'],
    ['2024-03-23T23:59:60Z', 'the time of day is out of range'],
    ['2024-03-23T10:00:00+24:00', 'the zone offset is out of range'],
    ['0000-01-01T00:00:00+01:00', 'the year is out of range in UTC'],
    ['2024-03-23', 'a date alone is not enough, add the time'],
    ['2024-03-23T08:20', 'expected yyyy-MM-ddTHH:mm:ss'],
    ['2024-3-23T08:20:42Z', 'expected yyyy-MM-ddTHH:mm:ss'],
    ['2024-03-23T08:20:42+8', 'expected yyyy-MM-ddTHH:mm:ss'],
    ['2024-03-23T08:20:42 UTC', 'expected yyyy-MM-ddTHH:mm:ss'],
    ['1711182042', 'expected yyyy-MM-ddTHH:mm:ss'],
    ['', 'expected yyyy-MM-ddTHH:mm:ss'],
  ])('rejects %j: %s', (text, fragment) => {
    expect(() => normaliseBeginTime(text)).toThrow(fragment);
  });
});
