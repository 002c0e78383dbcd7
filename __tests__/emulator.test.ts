import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inputDefaults, inputEnvName, parseOutputFile } from '../emulator/action-runner.ts';
import {
  AKSKSigner,
  apiTime,
  type CanonicalMainJob,
  canonicalRequest,
  DEMO_PROJECT_ID,
  ElbEmulator,
  type ElbEmulatorOptions,
  finishedJob,
  jobAt,
  type ManualClock,
  manualClock,
  SEED_EXAMPLE_JOB,
  signatureFor,
  simpleJob,
  upgradeJob,
} from '../emulator/index.ts';
import { sdkSign } from './helpers/sdk.ts';

// ---------------------------------------------------------------------------------------------
// A tiny client: signs with the official SDK's AKSKSigner.sign and sends with node:http.

const AK = 'TESTACCESSKEY0000001';
const SK = 'test-secret-key-0000000000000000000000001';
const TEMP_AK = 'TESTTEMPORARYAK00002';
const TEMP_SK = 'test-temporary-secret-00000000000000000002';
const TEMP_TOKEN = 'test-security-token-0002';
const TOKEN = 'test-iam-token-0003';
const P = DEMO_PROJECT_ID;
const T0 = Date.parse('2024-03-23T08:20:42Z');
/** An Actions expression (`${{ github.token }}`), spelled so that it is not read as a template placeholder. */
const GITHUB_TOKEN_EXPR = `$${'{{'} github.token }}`;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function sdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  json: any;
}

/** GET `base + path` (+ query) with exactly `headers`; rejects on a socket error or a cut-off body. */
function get(
  base: string,
  pathAndQuery: string,
  headers: Record<string, string>,
  agent?: Agent,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${pathAndQuery}`,
      { method: 'GET', headers, agent: agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error) =>
          reject(Object.assign(error, { partial: Buffer.concat(chunks).toString(), headers: res.headers })),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface SignOptions {
  ak?: string;
  sk?: string;
  dateMs: number;
  extra?: Record<string, string>;
  /** Added after signing (so not signed). */
  unsigned?: Record<string, string>;
}

function signed(
  base: string,
  path: string,
  query: Record<string, string>,
  o: SignOptions,
): Record<string, string> {
  const headers = sdkSign(
    {
      endpoint: `${base}${path}`,
      method: 'GET',
      headers: { 'X-Sdk-Date': sdkDate(o.dateMs), 'X-Project-Id': P, ...o.extra },
      queryParams: query,
    },
    o.ak ?? AK,
    o.sk ?? SK,
  );
  return { ...headers, ...o.unsigned };
}

function qs(query: Record<string, string>): string {
  const s = new URLSearchParams(query).toString();
  return s === '' ? '' : `?${s}`;
}

// ---------------------------------------------------------------------------------------------

let emulator: ElbEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

async function startEmulator(
  options: ElbEmulatorOptions = {},
): Promise<{ emu: ElbEmulator; base: string; clock: ManualClock }> {
  const clock = manualClock(T0);
  const emu = new ElbEmulator({
    credentials: [
      { accessKey: AK, secretKey: SK },
      { accessKey: TEMP_AK, secretKey: TEMP_SK, securityToken: TEMP_TOKEN },
    ],
    authTokens: [TOKEN],
    now: clock.now,
    ...options,
  });
  emulator = emu;
  const base = await emu.start();
  return { emu, base, clock };
}

/** GET with an X-Auth-Token (no signing), for tests about the data rather than the auth. */
function tokenGet(base: string, path: string, query: Record<string, string> = {}): Promise<Res> {
  return get(base, `${path}${qs(query)}`, { 'X-Auth-Token': TOKEN });
}

const JOBS = `/v3/${P}/elb/jobs`;

function ids(res: Res): string[] {
  return (res.json.jobs as CanonicalMainJob[]).map((j) => j.job_id);
}

// ---------------------------------------------------------------------------------------------

describe('signature oracle (SDK helpers) against published vectors', () => {
  it("reproduces Huawei's signing-guide vector", () => {
    const cr = canonicalRequest(
      {
        method: 'GET',
        url: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
        headers: {
          'content-type': 'application/json',
          host: 'service.region.example.com',
          'x-sdk-date': '20191115T033655Z',
        },
        body: new Uint8Array(),
      },
      'content-type;host;x-sdk-date',
    );
    expect(cr).toBe(
      'GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n' +
        'content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n' +
        `content-type;host;x-sdk-date\n${EMPTY_SHA256}`,
    );
    expect(AKSKSigner.Hex(cr)).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    expect(signatureFor(cr, '20191115T033655Z', 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc')).toBe(
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
  });

  it("reproduces the Python SDK's test vector", () => {
    const cr = canonicalRequest(
      {
        method: 'GET',
        url: '/resources?size=1',
        headers: { host: 'service.endpoint.myhuaweicloud.com', 'x-sdk-date': '20200608T023900Z' },
        body: new Uint8Array(),
      },
      'host;x-sdk-date',
    );
    expect(signatureFor(cr, '20200608T023900Z', 'SecretKey')).toBe(
      'cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842',
    );
  });
});

describe('authentication', () => {
  it('accepts a correct signature and records it', async () => {
    const { emu, base } = await startEmulator();
    const query = { limit: '10', job_type: 'UPGRADE' };
    const res = await get(base, `${JOBS}${qs(query)}`, signed(base, JOBS, query, { dateMs: T0 }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(res.json).toEqual({
      jobs: [],
      page_info: { current_count: 0 },
      request_id: res.headers['x-request-id'],
    });
    expect(emu.requests).toHaveLength(1);
    const r = emu.requests[0];
    expect(r?.method).toBe('GET');
    expect(r?.path).toBe(JOBS);
    expect(r?.query).toBe('limit=10&job_type=UPGRADE');
    expect(r?.headers['x-project-id']).toBe(P);
    expect(r?.time).toBe(T0);
    expect(r?.auth).toBe('aksk');
    expect(r?.accessKey).toBe(AK);
    expect(r?.signatureVerified).toBe(true);
    expect(r?.status).toBe(200);
    expect(r?.requestId).toBe(res.headers['x-request-id']);
  });

  it('verifies a query sent in any order and a percent-encoded path segment', async () => {
    const { base } = await startEmulator();
    // The SDK signs the segment 'a:b' as a%3Ab; the wire may carry it either way: the gateway
    // percent-decodes each segment and re-encodes it.
    const headers = signed(base, `/v3/${P}/elb/jobs/a:b`, {}, { dateMs: T0 });
    for (const path of [`/v3/${P}/elb/jobs/a%3Ab`, `/v3/${P}/elb/jobs/a:b`, `/v3/${P}/elb/jobs/a%3ab`]) {
      const single = await get(base, path, headers);
      expect(single.status).toBe(404);
      expect(single.json).toMatchObject({ error_code: 'ELB.8904', error_msg: 'Job a:b could not be found.' });
    }
    const query = { status: 'RUNNING', job_type: 'UPGRADE' };
    const listHeaders = signed(base, JOBS, query, { dateMs: T0 });
    const list = await get(base, `${JOBS}?status=RUNNING&job_type=UPGRADE`, listHeaders);
    expect(list.status).toBe(200);
  });

  it('rejects a wrong SK with APIGW.0301 and the canonical request', async () => {
    const { emu, base } = await startEmulator();
    const query = { limit: '1' };
    const res = await get(base, `${JOBS}?limit=1`, signed(base, JOBS, query, { dateMs: T0, sk: 'wrong' }));
    expect(res.status).toBe(401);
    expect(res.headers['x-request-id']).toBe(res.json.request_id);
    expect(res.headers['content-type']).toBe('application/json');
    const port = new URL(base).port;
    expect(res.json).toEqual({
      error_msg:
        'Incorrect IAM authentication information: verify aksk signature fail, the signature does not match, ' +
        `canonicalRequest: GET|/v3/${P}/elb/jobs/|limit=1|host:127.0.0.1:${port}|x-project-id:${P}|` +
        `x-sdk-date:20240323T082042Z||host;x-project-id;x-sdk-date|${EMPTY_SHA256}`,
      error_code: 'APIGW.0301',
      request_id: res.headers['x-request-id'],
    });
    expect(emu.requests[0]?.signatureVerified).toBe(false);
    expect(emu.requests[0]?.status).toBe(401);
  });

  it('rejects an unknown AK', async () => {
    const { base } = await startEmulator();
    const res = await get(base, JOBS, signed(base, JOBS, {}, { dateMs: T0, ak: 'NOSUCHAK' }));
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIGW.0301');
    expect(res.json.error_msg).toMatch(
      /^Incorrect IAM authentication information: the access key \(AK\) does not exist, canonicalRequest: GET\|/,
    );
  });

  it('rejects an X-Sdk-Date 16 minutes off the emulator clock, accepts 14 minutes', async () => {
    const { base } = await startEmulator();
    for (const offset of [16 * 60_000, -16 * 60_000]) {
      const res = await get(base, JOBS, signed(base, JOBS, {}, { dateMs: T0 + offset }));
      expect(res.status).toBe(401);
      expect(res.json.error_code).toBe('APIGW.0301');
      expect(res.json.error_msg).toContain('the request has expired: X-Sdk-Date');
      expect(res.json.error_msg).toContain(
        'more than 15 minutes from the server time 2024-03-23T08:20:42.000Z',
      );
    }
    const ok = await get(base, JOBS, signed(base, JOBS, {}, { dateMs: T0 - 14 * 60_000 }));
    expect(ok.status).toBe(200);
  });

  it('skips the date check with maxSkewMs: Infinity', async () => {
    const { base } = await startEmulator({ maxSkewMs: Number.POSITIVE_INFINITY });
    const res = await get(base, JOBS, signed(base, JOBS, {}, { dateMs: T0 + 86_400_000 }));
    expect(res.status).toBe(200);
  });

  it('rejects an X-Project-Id that is sent but not signed', async () => {
    const { base } = await startEmulator();
    const headers = sdkSign(
      { endpoint: `${base}${JOBS}`, method: 'GET', headers: { 'X-Sdk-Date': sdkDate(T0) } },
      AK,
      SK,
    );
    const res = await get(base, JOBS, { ...headers, 'X-Project-Id': P });
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIGW.0301');
    const port = new URL(base).port;
    expect(res.json.error_msg).toBe(
      'Incorrect IAM authentication information: verify aksk signature fail, the header x-project-id is sent but ' +
        `not signed, canonicalRequest: GET|/v3/${P}/elb/jobs/||host:127.0.0.1:${port}|x-sdk-date:20240323T082042Z||` +
        `host;x-sdk-date|${EMPTY_SHA256}`,
    );
  });

  it('requires a signed X-Security-Token for temporary credentials', async () => {
    const { base } = await startEmulator();
    const good = signed(
      base,
      JOBS,
      {},
      {
        dateMs: T0,
        ak: TEMP_AK,
        sk: TEMP_SK,
        extra: { 'X-Security-Token': TEMP_TOKEN },
      },
    );
    expect((await get(base, JOBS, good)).status).toBe(200);
    const missing = await get(base, JOBS, signed(base, JOBS, {}, { dateMs: T0, ak: TEMP_AK, sk: TEMP_SK }));
    expect(missing.status).toBe(401);
    expect(missing.json.error_msg).toContain(
      'X-Security-Token of this temporary access key is missing or invalid',
    );
    const unsignedToken = signed(
      base,
      JOBS,
      {},
      {
        dateMs: T0,
        ak: TEMP_AK,
        sk: TEMP_SK,
        unsigned: { 'X-Security-Token': TEMP_TOKEN },
      },
    );
    const res = await get(base, JOBS, unsignedToken);
    expect(res.status).toBe(401);
    expect(res.json.error_msg).toContain('the header x-security-token is sent but not signed');
  });

  it('accepts a valid X-Auth-Token without a signature and rejects others', async () => {
    const { emu, base } = await startEmulator();
    const ok = await get(base, JOBS, { 'X-Auth-Token': TOKEN });
    expect(ok.status).toBe(200);
    expect(emu.requests[0]?.auth).toBe('token');
    expect(emu.requests[0]?.authenticated).toBe(true);
    expect(emu.requests[0]?.signatureVerified).toBe(false);
    const bad = await get(base, JOBS, { 'X-Auth-Token': 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({
      error_msg: 'Incorrect IAM authentication information: the X-Auth-Token is invalid or has expired',
      error_code: 'APIGW.0301',
      request_id: bad.headers['x-request-id'],
    });
    const none = await get(base, JOBS, {});
    expect(none.status).toBe(401);
    expect(none.json.error_msg).toBe(
      'Incorrect IAM authentication information: no Authorization or X-Auth-Token header',
    );
  });
});

describe('listing', () => {
  function addFixtureJobs(emu: ElbEmulator) {
    // Added at T0; begin times T0-40s .. T0 (newest first: e, d, c, b, a).
    const a = emu.addJob(
      simpleJob({ jobId: 'a', jobType: 'UPGRADE', resourceId: 'lb-1', statuses: [[-40_000, 'COMPLETE']] }),
    );
    const b = emu.addJob(
      simpleJob({
        jobId: 'b',
        jobType: 'cloneLoadbalancer',
        resourceId: 'lb-2',
        statuses: [[-30_000, 'RUNNING']],
      }),
    );
    const c = emu.addJob(
      simpleJob({
        jobId: 'c',
        jobType: 'UPGRADE',
        resourceId: 'lb-1',
        statuses: [[-20_000, 'FAIL', 'ELB.8907', 'boom']],
      }),
    );
    const d = emu.addJob(
      simpleJob({ jobId: 'd', jobType: 'UPGRADE', resourceId: 'lb-3', statuses: [[-10_000, 'RUNNING']] }),
    );
    const e = emu.addJob(
      simpleJob({ jobId: 'e', jobType: 'batchDeleteListener', resourceId: 'lb-1', statuses: [[0, 'INIT']] }),
    );
    emu.addJob(
      simpleJob({
        jobId: 'other',
        jobType: 'UPGRADE',
        projectId: 'another-project',
        statuses: [[0, 'INIT']],
      }),
    );
    return [a, b, c, d, e];
  }

  it('lists the project’s jobs newest first and applies each filter', async () => {
    const { emu, base } = await startEmulator();
    addFixtureJobs(emu);
    expect(ids(await tokenGet(base, JOBS))).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(ids(await tokenGet(base, JOBS, { job_id: 'c' }))).toEqual(['c']);
    expect(ids(await tokenGet(base, JOBS, { job_type: 'UPGRADE' }))).toEqual(['d', 'c', 'a']);
    expect(ids(await tokenGet(base, JOBS, { status: 'RUNNING' }))).toEqual(['d', 'b']);
    expect(ids(await tokenGet(base, JOBS, { error_code: 'ELB.8907' }))).toEqual(['c']);
    expect(ids(await tokenGet(base, JOBS, { resource_id: 'lb-1' }))).toEqual(['e', 'c', 'a']);
    expect(ids(await tokenGet(base, JOBS, { resource_id: 'lb-1', job_type: 'UPGRADE' }))).toEqual(['c', 'a']);
    expect(ids(await tokenGet(base, JOBS, { project_id: P }))).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(ids(await tokenGet(base, JOBS, { project_id: 'another-project' }))).toEqual([]);
    expect(ids(await tokenGet(base, '/v3/another-project/elb/jobs'))).toEqual(['other']);
    const failed = await tokenGet(base, JOBS, { job_id: 'c' });
    expect(failed.json.jobs[0].error_code).toBe('ELB.8907');
    expect(failed.json.jobs[0].error_msg).toBe('boom');
    expect(failed.json.jobs[0].begin_time).toBe('2024-03-23T08:20:22Z');
    expect(failed.json.jobs[0].end_time).toBe('2024-03-23T08:20:22Z');
    expect(failed.json.page_info).toEqual({ previous_marker: 'c', current_count: 1 });
  });

  it('paginates: next_marker followed to the end, limit capped at maxPageSize, page_reverse', async () => {
    const { emu, base } = await startEmulator({ maxPageSize: 2 });
    addFixtureJobs(emu);
    const pages: unknown[] = [];
    let marker: string | undefined;
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const query: Record<string, string> = { limit: '10' };
      if (marker !== undefined) query.marker = marker;
      const res = await tokenGet(base, JOBS, query);
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      pages.push(res.json.page_info);
      marker = res.json.page_info.next_marker;
      if (marker === undefined) break;
    }
    expect(seen).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toEqual([
      { previous_marker: 'e', current_count: 2, next_marker: 'd' },
      { previous_marker: 'c', current_count: 2, next_marker: 'b' },
      { previous_marker: 'a', current_count: 1 },
    ]);
    // limit below the cap; filters combine with markers.
    expect(ids(await tokenGet(base, JOBS, { limit: '1', marker: 'e' }))).toEqual(['d']);
    expect(ids(await tokenGet(base, JOBS, { marker: 'd', resource_id: 'lb-1' }))).toEqual(['c', 'a']);
    // page_reverse from previous_marker: the page before it, still newest first.
    const back = await tokenGet(base, JOBS, { limit: '2', marker: 'b', page_reverse: 'true' });
    expect(ids(back)).toEqual(['d', 'c']);
    expect(back.json.page_info).toEqual({ previous_marker: 'd', current_count: 2, next_marker: 'c' });
  });

  it('rejects bad limit, page_reverse, marker and repeated filters with 400 ELB.8902', async () => {
    const { emu, base } = await startEmulator();
    addFixtureJobs(emu);
    const badQueries: Array<Record<string, string>> = [
      { limit: '2001' },
      { limit: '-1' },
      { limit: 'ten' },
      { page_reverse: 'yes' },
      { marker: 'no-such-job' },
    ];
    for (const query of badQueries) {
      const res = await tokenGet(base, JOBS, query);
      expect(res.status).toBe(400);
      expect(res.json.error_code).toBe('ELB.8902');
      expect(res.json.error_msg).toMatch(/^Invalid parameter: /);
      expect(res.json.request_id).toBe(res.headers['x-request-id']);
    }
    const repeated = await get(base, `${JOBS}?job_id=a&job_id=b`, { 'X-Auth-Token': TOKEN });
    expect(repeated.status).toBe(400);
    expect(repeated.json.error_msg).toBe('Invalid parameter: job_id must be given once');
  });

  it('filters on begin_time (UTC, inclusive) and rejects other formats with 400', async () => {
    const { emu, base } = await startEmulator();
    addFixtureJobs(emu);
    // c began at 08:20:22Z, d at 08:20:32Z, e at 08:20:42Z.
    expect(ids(await tokenGet(base, JOBS, { begin_time: '2024-03-23T08:20:22' }))).toEqual(['e', 'd', 'c']);
    expect(ids(await tokenGet(base, JOBS, { begin_time: '2024-03-23T08:20:23' }))).toEqual(['e', 'd']);
    expect(ids(await tokenGet(base, JOBS, { begin_time: '2024-03-23T08:20:43' }))).toEqual([]);
    for (const bad of ['2024-03-23 08:20:22', '2024-03-23T08:20:22Z', '2024-03-23', '2024-02-30T00:00:00']) {
      const res = await tokenGet(base, JOBS, { begin_time: bad });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error_code: 'ELB.8902',
        error_msg: `Invalid parameter: begin_time must be in the format yyyy-MM-dd'T'HH:mm:ss, got '${bad}'`,
        request_id: res.headers['x-request-id'],
      });
    }
  });

  it('serves one job by ID, 404 ELB.8904 otherwise, and 404 APIGW.0101 on unknown paths', async () => {
    const { emu, base } = await startEmulator();
    addFixtureJobs(emu);
    const one = await tokenGet(base, `${JOBS}/d`);
    expect(one.status).toBe(200);
    expect(one.json.job.job_id).toBe('d');
    expect(one.json.job.status).toBe('RUNNING');
    expect(one.json.request_id).toBe(one.headers['x-request-id']);
    const missing = await tokenGet(base, `${JOBS}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      error_code: 'ELB.8904',
      error_msg: 'Job nope could not be found.',
      request_id: missing.headers['x-request-id'],
    });
    expect((await tokenGet(base, `${JOBS}/other`)).status).toBe(404); // another project's job
    const unknown = await tokenGet(base, `/v3/${P}/elb/loadbalancers`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toBe('application/json');
    expect(unknown.json.error_code).toBe('APIGW.0101');
    expect(unknown.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('job timelines', () => {
  const D = 60_000;

  it('serves an upgrade at several clock values (INIT, RUNNING with sub-jobs progressing, COMPLETE)', async () => {
    const { emu, base, clock } = await startEmulator();
    const script = emu.addJob(
      upgradeJob({
        jobId: 'up',
        resourceId: 'lb-9',
        durationMs: D,
        outcome: 'COMPLETE',
        subJobIds: ['s-init', 's-switch', 's-complete'],
      }),
    );
    const read = async (): Promise<CanonicalMainJob> => (await tokenGet(base, `${JOBS}/up`)).json.job;
    const sub = (job: CanonicalMainJob) =>
      job.sub_jobs.map((s) => [s.job_type, s.status, s.begin_time, s.end_time]);

    let job = await read();
    expect([job.status, job.begin_time, job.end_time]).toEqual(['INIT', '2024-03-23T08:20:42Z', '']);
    expect(sub(job)).toEqual([
      ['UPGRADE_INIT', 'INIT', '', ''],
      ['UPGRADE_TRAFFIC_SWITCH', 'INIT', '', ''],
      ['UPGRADE_COMPLETE', 'INIT', '', ''],
    ]);

    clock.set(T0 + 20_000);
    job = await read();
    expect([job.status, job.end_time]).toEqual(['RUNNING', '']);
    expect(sub(job)).toEqual([
      ['UPGRADE_INIT', 'RUNNING', '2024-03-23T08:20:48Z', ''],
      ['UPGRADE_TRAFFIC_SWITCH', 'INIT', '', ''],
      ['UPGRADE_COMPLETE', 'INIT', '', ''],
    ]);

    clock.set(T0 + 50_000);
    job = await read();
    expect(job.status).toBe('RUNNING');
    expect(sub(job)).toEqual([
      ['UPGRADE_INIT', 'SUCCESS', '2024-03-23T08:20:48Z', '2024-03-23T08:21:18Z'],
      ['UPGRADE_TRAFFIC_SWITCH', 'SUCCESS', '2024-03-23T08:21:18Z', '2024-03-23T08:21:30Z'],
      ['UPGRADE_COMPLETE', 'RUNNING', '2024-03-23T08:21:30Z', ''],
    ]);

    clock.set(T0 + D);
    job = await read();
    expect(job).toEqual({
      status: 'COMPLETE',
      begin_time: '2024-03-23T08:20:42Z',
      end_time: '2024-03-23T08:21:42Z',
      job_id: 'up',
      resource_id: 'lb-9',
      job_type: 'UPGRADE',
      error_code: '',
      error_msg: '',
      project_id: P,
      sub_jobs: [
        ['s-init', 'UPGRADE_INIT', '2024-03-23T08:20:48Z', '2024-03-23T08:21:18Z'],
        ['s-switch', 'UPGRADE_TRAFFIC_SWITCH', '2024-03-23T08:21:18Z', '2024-03-23T08:21:30Z'],
        ['s-complete', 'UPGRADE_COMPLETE', '2024-03-23T08:21:30Z', '2024-03-23T08:21:42Z'],
      ].map(([id, type, begin, end]) => ({
        status: 'SUCCESS',
        entities: [{ resource_id: 'lb-9', resource_type: 'loadbalancer' }],
        begin_time: begin,
        end_time: end,
        job_id: id,
        resource_id: 'lb-9',
        job_type: type,
        error_code: '',
        error_msg: '',
        project_id: P,
      })),
    });
    // Later reads do not change a finished job.
    clock.advance(3_600_000);
    expect(await read()).toEqual(job);
    expect(emu.jobState('up')).toEqual(job);
    expect(jobAt(script, D + 3_600_000, T0)).toEqual(job);
  });

  it('serves jobs with the same fields and key order as the API page example', () => {
    const job = jobAt(upgradeJob({ durationMs: D, outcome: 'COMPLETE' }), D, T0);
    expect(job).toBeDefined();
    expect(Object.keys(job ?? {})).toEqual(Object.keys(SEED_EXAMPLE_JOB));
    for (const s of job?.sub_jobs ?? [])
      expect(Object.keys(s)).toEqual(Object.keys(SEED_EXAMPLE_JOB.sub_jobs[0] ?? {}));
  });

  it('ends FAIL, ROLLBACK_FAIL and CANCEL upgrades as scripted', () => {
    const states = (outcome: 'FAIL' | 'ROLLBACK_FAIL' | 'CANCEL', t: number) => {
      const job = jobAt(upgradeJob({ durationMs: D, outcome, errorMsg: 'switch failed' }), t, T0);
      return [
        job?.status,
        job?.error_code,
        job?.end_time,
        job?.sub_jobs.map((s) => [s.status, s.error_code]),
      ];
    };
    expect(states('FAIL', D)).toEqual([
      'FAIL',
      'ELB.8907',
      '2024-03-23T08:21:42Z',
      [
        ['SUCCESS', ''],
        ['FAIL', 'ELB.8907'],
        ['INIT', ''],
      ],
    ]);
    expect(states('ROLLBACK_FAIL', 0.9 * D)).toEqual([
      'ROLLBACKING',
      '',
      '',
      [
        ['SUCCESS', ''],
        ['FAIL', 'ELB.8907'],
        ['INIT', ''],
      ],
    ]);
    expect(states('ROLLBACK_FAIL', D)).toEqual([
      'ROLLBACK_FAIL',
      'ELB.8907',
      '2024-03-23T08:21:42Z',
      [
        ['SUCCESS', ''],
        ['FAIL', 'ELB.8907'],
        ['INIT', ''],
      ],
    ]);
    expect(states('CANCEL', D)).toEqual([
      'CANCEL',
      '',
      '2024-03-23T08:21:42Z',
      [
        ['CANCEL', ''],
        ['INIT', ''],
        ['INIT', ''],
      ],
    ]);
    expect(
      jobAt(upgradeJob({ durationMs: D, outcome: 'FAIL', errorMsg: 'switch failed' }), D)?.error_msg,
    ).toBe('switch failed');
  });

  it('hides a job until listedAfterMs, from the list and from GET by ID', async () => {
    const { emu, base, clock } = await startEmulator();
    emu.addJob(upgradeJob({ jobId: 'late', durationMs: D, outcome: 'COMPLETE', listedAfterMs: 5_000 }));
    clock.set(T0 + 4_999);
    expect(ids(await tokenGet(base, JOBS))).toEqual([]);
    expect((await tokenGet(base, `${JOBS}/late`)).status).toBe(404);
    clock.set(T0 + 5_000);
    const listed = await tokenGet(base, JOBS);
    expect(ids(listed)).toEqual(['late']);
    // Its begin_time is still when it was added.
    expect(listed.json.jobs[0].begin_time).toBe('2024-03-23T08:20:42Z');
    expect((await tokenGet(base, `${JOBS}/late`)).status).toBe(200);
  });

  it('lists an already-finished older job of the same resource after the new one', async () => {
    const { emu, base } = await startEmulator();
    emu.addJob(upgradeJob({ jobId: 'new', resourceId: 'lb-1', durationMs: D, outcome: 'COMPLETE' }));
    emu.addJob(
      finishedJob({ jobId: 'old', resourceId: 'lb-1', endedAgoMs: 3_600_000, durationMs: 1_800_000 }),
    );
    const res = await tokenGet(base, JOBS, { resource_id: 'lb-1', job_type: 'UPGRADE' });
    expect(ids(res)).toEqual(['new', 'old']);
    const old = res.json.jobs[1] as CanonicalMainJob;
    expect([old.status, old.begin_time, old.end_time]).toEqual([
      'COMPLETE',
      apiTime(T0 - 5_400_000),
      '2024-03-23T07:20:42Z',
    ]);
    expect(old.sub_jobs.map((s) => s.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });

  it('builds generic jobs with sub-job steps merged into one timeline', () => {
    const script = simpleJob({
      jobType: 'batchDeleteListener',
      statuses: [
        [0, 'RUNNING'],
        [30_000, 'FAIL', 'ELB.1234', 'nope'],
      ],
      subJobs: [
        {
          jobType: 'deleteListener',
          statuses: [
            [10_000, 'RUNNING'],
            [20_000, 'FAIL', 'ELB.1234', 'nope'],
          ],
        },
      ],
    });
    expect(script.timeline.map((s) => [s.atMs, s.status, s.sub_jobs?.[0]?.status])).toEqual([
      [0, 'RUNNING', 'INIT'],
      [10_000, 'RUNNING', 'RUNNING'],
      [20_000, 'RUNNING', 'FAIL'],
      [30_000, 'FAIL', 'FAIL'],
    ]);
    const job = jobAt(script, 25_000, T0);
    expect(job?.sub_jobs[0]).toMatchObject({
      status: 'FAIL',
      error_code: 'ELB.1234',
      end_time: '2024-03-23T08:21:02Z',
    });
    expect(jobAt(script, -1, T0)).toBeUndefined();
  });

  it('rejects a script whose timeline does not ascend', () => {
    const emu = new ElbEmulator();
    const script = simpleJob({ jobType: 'X', statuses: [[0, 'INIT']] });
    script.timeline.push({ atMs: -5, status: 'RUNNING' });
    expect(() => emu.addJob(script)).toThrow('timeline offsets must ascend (-5 after 0)');
  });
});

describe('faults', () => {
  async function setup() {
    const ctx = await startEmulator();
    ctx.emu.addJob(upgradeJob({ jobId: 'j', durationMs: 60_000, outcome: 'COMPLETE' }));
    return ctx;
  }

  it('status: 429 APIGW.0308 with Retry-After, then 503, then normal', async () => {
    const { emu, base } = await setup();
    emu.injectFaults([
      { kind: 'status', status: 429, headers: { 'Retry-After': '2' } },
      { kind: 'status', status: 503, times: 2 },
    ]);
    expect(emu.pendingFaults()).toBe(3);
    const throttled = await tokenGet(base, JOBS);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('2');
    expect(throttled.json).toEqual({
      error_code: 'APIGW.0308',
      error_msg: 'policy user over ratelimit,limit:200,time:5 minute',
      request_id: throttled.headers['x-request-id'],
    });
    expect((await tokenGet(base, JOBS)).status).toBe(503);
    expect((await tokenGet(base, JOBS)).status).toBe(503);
    expect((await tokenGet(base, JOBS)).status).toBe(200);
    expect(emu.requests.map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [503, 'status'],
      [503, 'status'],
      [200, undefined],
    ]);
  });

  it('status: a custom body is sent as given', async () => {
    const { emu, base } = await setup();
    emu.injectFaults({ kind: 'status', status: 500, body: 'upstream exploded' });
    const res = await tokenGet(base, JOBS);
    expect([res.status, res.text]).toEqual([500, 'upstream exploded']);
  });

  it('applies faults only after authentication unless beforeAuth', async () => {
    const { emu, base } = await setup();
    emu.injectFaults({ kind: 'status', status: 502 });
    expect((await get(base, JOBS, {})).status).toBe(401); // does not consume the fault
    expect(emu.pendingFaults()).toBe(1);
    expect((await tokenGet(base, JOBS)).status).toBe(502);
    emu.injectFaults({ kind: 'status', status: 504, beforeAuth: true });
    const res = await get(base, JOBS, {});
    expect(res.status).toBe(504);
    expect(res.json.error_code).toBe('APIGW.0201');
    expect(emu.pendingFaults()).toBe(0);
  });

  it('reset: the socket is destroyed without a response', async () => {
    const { emu, base } = await setup();
    emu.injectFaults({ kind: 'reset' });
    await expect(tokenGet(base, JOBS)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(emu.requests[0]?.status).toBeNull();
    expect(emu.requests[0]?.fault).toBe('reset');
    expect((await tokenGet(base, JOBS)).status).toBe(200);
  });

  it('delay: the normal response arrives after the delay', async () => {
    const { emu, base } = await setup();
    emu.injectFaults({ kind: 'delay', ms: 150 });
    const started = performance.now();
    const res = await tokenGet(base, `${JOBS}/j`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect(res.json.job.job_id).toBe('j');
  });

  it('truncate: a longer Content-Length is declared and the body is cut off', async () => {
    const { emu, base } = await setup();
    emu.injectFaults({ kind: 'truncate' });
    const error = await tokenGet(base, JOBS).then(
      () => undefined,
      (e: Error & { partial?: string; code?: string; headers?: IncomingHttpHeaders }) => e,
    );
    expect(error?.code).toBe('ECONNRESET');
    expect(error?.message).toBe('aborted');
    const full = (await tokenGet(base, JOBS)).text;
    // Same jobs, same clock: only the request_id (at the end) differs between the two responses.
    expect(error?.headers?.['content-length']).toBe(String(full.length));
    expect(error?.partial).toBe(full.slice(0, Math.floor(full.length / 2)));
  });

  it('html, empty and shape: 200 responses that are not the expected JSON', async () => {
    const { emu, base } = await setup();
    emu.injectFaults([{ kind: 'html' }, { kind: 'empty' }, { kind: 'shape' }]);
    const html = await tokenGet(base, JOBS);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text.startsWith('<!DOCTYPE html>')).toBe(true);
    const empty = await tokenGet(base, JOBS);
    expect([empty.status, empty.text, empty.headers['content-length']]).toEqual([200, '', '0']);
    const shape = await tokenGet(base, JOBS);
    expect(shape.status).toBe(200);
    expect(shape.json).toEqual({
      jobs: { unexpected: true },
      page_info: [],
      request_id: shape.headers['x-request-id'],
    });
    expect(emu.requests.map((r) => r.fault)).toEqual(['html', 'empty', 'shape']);
  });
});

describe('lifecycle and the IAM project route', () => {
  it('stop() closes keep-alive connections at once', async () => {
    const { emu, base } = await startEmulator();
    const agent = new Agent({ keepAlive: true });
    const res = await get(base, JOBS, { 'X-Auth-Token': TOKEN }, agent);
    expect(res.headers.connection).toBe('keep-alive');
    const started = performance.now();
    await emu.stop();
    expect(performance.now() - started).toBeLessThan(500);
    await expect(get(base, JOBS, { 'X-Auth-Token': TOKEN })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });

  it('serves GET /v3/projects?name= for project lookup', async () => {
    const { base } = await startEmulator({ projects: [{ id: P, name: 'cn-north-4' }] });
    const res = await get(
      base,
      '/v3/projects?name=cn-north-4',
      signed(base, '/v3/projects', { name: 'cn-north-4' }, { dateMs: T0 }),
    );
    expect(res.status).toBe(200);
    expect(res.json.projects).toEqual([{ id: P, name: 'cn-north-4', enabled: true }]);
    expect((await tokenGet(base, '/v3/projects', { name: 'eu-west-101' })).json.projects).toEqual([]);
  });
});

describe('demo helpers', () => {
  it('reads input defaults from an action.yml inputs block', () => {
    const yaml = [
      'name: x',
      'inputs:',
      '  region:',
      '    description: >',
      '      Region ID',
      '      default: not-this',
      '    required: false',
      '  timeout:',
      "    default: '60m' # comment",
      '  fail_on:',
      '    default: "FAIL,ROLLBACK_FAIL"',
      '  summary:',
      '    default: true',
      '  github_token:',
      `    default: ${GITHUB_TOKEN_EXPR}`,
      '  job_id:',
      '    description: ids',
      '  notes:',
      '    default: |',
      '      line one',
      '      line two',
      'outputs:',
      '  status:',
      '    default: nope',
    ].join('\n');
    expect([...inputDefaults(yaml)]).toEqual([
      ['timeout', '60m'],
      ['fail_on', 'FAIL,ROLLBACK_FAIL'],
      ['summary', 'true'],
      ['github_token', GITHUB_TOKEN_EXPR],
      ['notes', 'line one\nline two'],
    ]);
    expect(inputEnvName('job id')).toBe('INPUT_JOB_ID');
    expect(inputEnvName('poll_interval')).toBe('INPUT_POLL_INTERVAL');
  });

  it('parses a GITHUB_OUTPUT file', () => {
    const text = 'status<<ghadelimiter_1\nCOMPLETE\nghadelimiter_1\njobs<<D\n[\n1]\nD\nresult=success\n';
    expect(parseOutputFile(text)).toEqual([
      ['status', 'COMPLETE'],
      ['jobs', '[\n1]'],
      ['result', 'success'],
    ]);
  });

  it('runs an action like the runner: inputs, defaults, output files, exit code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-test-'));
    try {
      const stub = join(dir, 'stub.mjs');
      writeFileSync(
        stub,
        [
          "import { appendFileSync } from 'node:fs';",
          'const e = process.env;',
          "const names = Object.keys(e).filter((k) => k.startsWith('INPUT_')).sort();",
          "console.log('inputs: ' + names.join(','));",
          "console.log('timeout=' + e.INPUT_TIMEOUT + ' poll=' + e.INPUT_POLL_INTERVAL + ' summary=' + e.INPUT_SUMMARY);",
          "console.log('endpoint ok=' + /^http:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(e.INPUT_ENDPOINT) + ' temp=' + (e.RUNNER_TEMP !== undefined));",
          "appendFileSync(e.GITHUB_OUTPUT, 'result<<EOF_1\\nsuccess\\nEOF_1\\n');",
          "appendFileSync(e.GITHUB_STEP_SUMMARY, '### stub summary\\n');",
          'process.exit(3);',
        ].join('\n'),
      );
      const yml = join(dir, 'action.yml');
      writeFileSync(
        yml,
        `inputs:\n  timeout:\n    default: 60m\n  summary:\n    default: "true"\n  github_token:\n    default: ${GITHUB_TOKEN_EXPR}\n`,
      );
      const child = spawn(process.execPath, ['emulator/demo.ts'], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, ELB_DEMO_ACTION: stub, ELB_DEMO_ACTION_YML: yml, INPUT_LEAK: 'x' },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(out).toContain(
        'inputs: INPUT_ACCESS_KEY,INPUT_ENDPOINT,INPUT_GITHUB_TOKEN,INPUT_JOB_ID,INPUT_MAX_POLL_INTERVAL,' +
          'INPUT_POLL_INTERVAL,INPUT_PROJECT_ID,INPUT_SECRET_KEY,INPUT_SUMMARY,INPUT_TIMEOUT\n',
      );
      expect(out).toContain('timeout=2m poll=1s summary=true\n');
      expect(out).toContain('endpoint ok=true temp=true\n');
      expect(out).toContain('--- outputs (GITHUB_OUTPUT) ---\nresult = success\n');
      expect(out).toContain('--- step summary (GITHUB_STEP_SUMMARY) ---\n### stub summary\n');
      expect(out).toContain('demo: the action exited with code 3');
      expect(code).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
