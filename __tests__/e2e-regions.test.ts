/**
 * Where the action goes for a region: HTTPS_PROXY points at a recording proxy on loopback that refuses every tunnel,
 * so a test sees the first host the action contacts without reaching any of them. One case runs the bundle, the
 * others the action in process (the same dispatcher and proxy settings) on a scripted clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestProxy } from '../emulator/proxy.ts';
import { AK, type E2E, SK, useEmulator } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

const IDP = 'github-actions';
const AUDIENCE = 'huaweicloud';
const REQUEST_TOKEN = 'runner-id-token-request-token-0000000000';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const OIDC = { oidc: { idpId: IDP, audience: AUDIENCE, requestToken: REQUEST_TOKEN } };

/** A recording proxy per test, and a single check (timeout 0) with no endpoint given: only the region decides. */
function withProxy(e2e: E2E) {
  let proxy: TestProxy;
  let proxyUrl: string;
  beforeEach(async () => {
    proxy = new TestProxy({ offline: true });
    proxyUrl = await proxy.start();
  });
  afterEach(async () => {
    await proxy.stop();
  });
  return {
    seen: () => proxy.seen,
    check: (inputs: Record<string, string>, env: Record<string, string> = {}) =>
      e2e.run(
        {
          job_id: 'ef6da45b-35d9-4c18-8c35-0b80d94ab9e6',
          endpoint: '',
          timeout: '0',
          request_timeout: '1s',
          ...inputs,
        },
        { HTTPS_PROXY: proxyUrl, NO_PROXY: '', no_proxy: '', ...env },
      ),
  };
}

describe('the first host contacted for a region, end to end', () => {
  const { seen, check } = withProxy(useEmulator(OIDC));

  it('eu-west-101 with project_id: ELB on myhuaweicloud.eu', async () => {
    const r = await check({ region: 'eu-west-101', project_id: PROJECT, access_key: AK, secret_key: SK });
    expect(seen()[0]).toBe('CONNECT elb.eu-west-101.myhuaweicloud.eu:443');
    expect(r.outputs.result).toBe('timeout');
  });
});

describe('the first host contacted for a region (in process)', () => {
  const e2e = useInProcess(OIDC);
  const { seen, check } = withProxy(e2e);

  it('eu-west-101 without project_id: the project lookup on IAM at myhuaweicloud.eu', async () => {
    await check({ region: 'eu-west-101', project_id: '', access_key: AK, secret_key: SK });
    expect(seen()[0]).toBe('CONNECT iam.eu-west-101.myhuaweicloud.eu:443');
  });

  it('eu-west-101, keyless: the OIDC exchange on IAM at myhuaweicloud.eu', async () => {
    await check(
      {
        region: 'eu-west-101',
        project_id: PROJECT,
        access_key: '',
        secret_key: '',
        idp_id: IDP,
        id_token_audience: AUDIENCE,
      },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${e2e.url}/_actions/id-token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      },
    );
    expect(seen()[0]).toBe('CONNECT iam.eu-west-101.myhuaweicloud.eu:443');
  });

  it('cn-north-4: ELB and IAM at their regional addresses on myhuaweicloud.com', async () => {
    await check({ region: 'cn-north-4', project_id: PROJECT, access_key: AK, secret_key: SK });
    expect(new Set(seen())).toEqual(new Set(['CONNECT elb.cn-north-4.myhuaweicloud.com:443']));
    seen().length = 0;
    await check({ region: 'cn-north-4', project_id: '', access_key: AK, secret_key: SK });
    expect(new Set(seen())).toEqual(new Set(['CONNECT iam.cn-north-4.myhuaweicloud.com:443']));
  });

  it('a region the table does not know: the public pattern and the global IAM endpoint, with a debug line', async () => {
    const r = await check({ region: 'xx-newplace-7', project_id: '', access_key: AK, secret_key: SK });
    expect(seen()[0]).toBe('CONNECT iam.myhuaweicloud.com:443');
    expect(r.stdout).toContain(
      "::debug::Region xx-newplace-7 is not in the SDKs' region list for ELB (https://elb.xx-newplace-7.myhuaweicloud.com, the public pattern) and IAM (https://iam.myhuaweicloud.com, the global endpoint); using https://elb.xx-newplace-7.myhuaweicloud.com and https://iam.myhuaweicloud.com unless overridden",
    );
  });

  it('HUAWEICLOUD_SDK_IAM_ENDPOINT still wins', async () => {
    await check(
      { region: 'eu-west-101', project_id: '', access_key: AK, secret_key: SK },
      { HUAWEICLOUD_SDK_IAM_ENDPOINT: 'https://iam.example.test' },
    );
    expect(seen()[0]).toBe('CONNECT iam.example.test:443');
  });
});
