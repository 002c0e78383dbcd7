/** The HTTP path against a real server: the ELB emulator on loopback, through one undici dispatcher. */

import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID, ElbEmulator, simpleJob, upgradeJob } from '../emulator/index.ts';
import type { Clock } from '../src/domain/types.ts';
import { akskAuthorizer, tokenAuthorizer } from '../src/huawei/auth.ts';
import { ElbClient, listJobsQuery } from '../src/huawei/elb-client.ts';
import { ApiError, HttpClient, type HttpClientOptions, ResponseFormatError } from '../src/huawei/http.ts';
import { DeadlineError } from '../src/huawei/retry.ts';

const AK = 'CLIENTTESTACCESSKEY0';
const SK = 'client-test-secret-key-000000000000000000';
const TOKEN = 'client-test-iam-token-0000000000';

/** Real time, but sleeps end at once and are recorded: retries are checked without waiting. */
function instantSleeps() {
  const sleeps: number[] = [];
  const clock: Clock = { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
  return { clock, sleeps };
}

let emulator: ElbEmulator;
let url: string;
const dispatcher = new Agent({ keepAliveTimeout: 10_000 });

beforeAll(async () => {
  emulator = new ElbEmulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    authTokens: [TOKEN],
    maxPageSize: 2000,
  });
  url = await emulator.start();
});
afterEach(() => emulator.reset());
afterAll(async () => {
  await emulator.stop();
  await dispatcher.close();
});

function client(opts: Partial<HttpClientOptions> = {}, pageLimit?: number) {
  const { clock, sleeps } = instantSleeps();
  const retries: string[] = [];
  const http = new HttpClient({
    endpoint: url,
    authorizer: akskAuthorizer({ accessKey: AK, secretKey: SK }),
    dispatcher,
    requestTimeoutMs: 2_000,
    clock,
    redact: (t) => t.split(SK).join('***'),
    random: () => 0.5,
    onRetry: (e) => retries.push(e.message),
    ...opts,
  });
  return { elb: new ElbClient(http, DEMO_PROJECT_ID, { clock, pageLimit }), sleeps, retries };
}

const far = () => Date.now() + 60_000;

describe('listJobsQuery', () => {
  it('sends every ListJobs parameter that is set', () => {
    const byName = (pairs: Array<[string, string]>) => [...pairs].sort(([a], [b]) => a.localeCompare(b));
    expect(
      byName(
        listJobsQuery({
          begin_time: '2024-03-23T08:20:42',
          job_id: 'j',
          job_type: 'UPGRADE',
          status: 'RUNNING',
          error_code: 'ELB.1',
          resource_id: 'r',
          limit: 10,
          marker: 'm',
          page_reverse: true,
        }),
      ),
    ).toEqual([
      ['begin_time', '2024-03-23T08:20:42'],
      ['error_code', 'ELB.1'],
      ['job_id', 'j'],
      ['job_type', 'UPGRADE'],
      ['limit', '10'],
      ['marker', 'm'],
      ['page_reverse', 'true'],
      ['resource_id', 'r'],
      ['status', 'RUNNING'],
    ]);
    expect(listJobsQuery({ job_id: '', job_type: undefined })).toEqual([]);
  });
});

describe('ElbClient against the emulator', () => {
  it('lists with filters, signed, with X-Project-Id', async () => {
    const a = emulator.addJob(upgradeJob({ durationMs: 10_000, outcome: 'COMPLETE', resourceId: 'lb-a' }));
    emulator.addJob(simpleJob({ jobType: 'cloneListener', resourceId: 'lb-b', statuses: [[0, 'RUNNING']] }));
    const { elb } = client();
    const jobs = await elb.listJobs({ resource_id: 'lb-a', job_type: 'UPGRADE', status: 'INIT' }, far());
    expect(jobs.map((j) => j.job_id)).toEqual([a.job_id]);
    const req = emulator.requests[0];
    expect(req?.signatureVerified).toBe(true);
    expect(req?.query).toBe('job_type=UPGRADE&limit=2000&resource_id=lb-a&status=INIT');
    expect(req?.headers['x-project-id']).toBe(DEMO_PROJECT_ID);
    expect(req?.headers['user-agent']).toBe('elb-job-wait');
  });

  it('follows next_marker while pages are full', async () => {
    const ids = Array.from(
      { length: 5 },
      (_, i) =>
        emulator.addJob(
          simpleJob({ jobType: 'UPGRADE', resourceId: 'lb-p', statuses: [[-i * 1000, 'RUNNING']] }),
        ).job_id,
    );
    const { elb } = client({}, 2);
    const jobs = await elb.listJobs({ resource_id: 'lb-p' }, far());
    expect(jobs.map((j) => j.job_id).sort()).toEqual([...ids].sort());
    expect(emulator.requests.map((r) => new URLSearchParams(r.query).get('marker') !== null)).toEqual([
      false,
      true,
      true,
    ]);
    expect(emulator.requests.every((r) => r.query.includes('limit=2'))).toBe(true);
  });

  it('sends X-Auth-Token without signing when given a token', async () => {
    const { elb } = client({ authorizer: tokenAuthorizer(TOKEN) });
    await elb.listJobs({ job_id: 'none' }, far());
    expect(emulator.requests[0]).toMatchObject({ auth: 'token', authenticated: true, status: 200 });
    expect(emulator.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('turns an error body into a typed ApiError, request ID from the body or the header', async () => {
    emulator.injectFaults({
      kind: 'status',
      status: 400,
      body: { error_code: 'ELB.8902', error_msg: 'Invalid parameter', request_id: 'req-body' },
    });
    const err = (await client()
      .elb.listJobs({}, far())
      .catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.errorCode, err.errorMsg, err.requestId, err.retryable]).toEqual([
      400,
      'ELB.8902',
      'Invalid parameter',
      'req-body',
      false,
    ]);
    expect(err.message).toBe('HTTP 400 ELB.8902: Invalid parameter (request ID req-body)');

    emulator.injectFaults({
      kind: 'status',
      status: 409,
      body: { error: { code: 'ELB.1001', message: 'nested' } },
    });
    const nested = (await client()
      .elb.listJobs({}, far())
      .catch((e) => e)) as ApiError;
    expect([nested.errorCode, nested.errorMsg]).toEqual(['ELB.1001', 'nested']);
    expect(nested.requestId).toBe(emulator.requests.at(-1)?.requestId);
  });

  it('does not retry 401: one request, the gateway error kept', async () => {
    const { elb, retries } = client({
      authorizer: akskAuthorizer({ accessKey: AK, secretKey: 'wrong-secret' }),
    });
    const err = (await elb.listJobs({}, far()).catch((e) => e)) as ApiError;
    expect([err.status, err.errorCode, err.retryable]).toEqual([401, 'APIGW.0301', false]);
    expect(err.errorMsg).toContain('canonicalRequest');
    expect(emulator.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('retries 429 and 5xx with jittered backoff, then succeeds', async () => {
    emulator.injectFaults([
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 502 },
    ]);
    const { elb, sleeps, retries } = client();
    await expect(elb.listJobs({}, far())).resolves.toEqual([]);
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 503, 502, 200]);
    // random() = 0.5: half of 1s, 2s, 4s.
    expect(sleeps).toEqual([500, 1_000, 2_000]);
    expect(retries[0]).toContain('HTTP 429 APIGW.0308');
  });

  it('honours Retry-After', async () => {
    emulator.injectFaults({ kind: 'status', status: 503, headers: { 'Retry-After': '7' } });
    const { elb, sleeps } = client();
    await elb.listJobs({}, far());
    expect(sleeps).toEqual([7_000]);
  });

  it('does not start a retry past the deadline', async () => {
    emulator.injectFaults({ kind: 'status', status: 503, times: 5 });
    const { elb } = client();
    const err = await elb.listJobs({}, Date.now() + 100).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(emulator.requests).toHaveLength(1);
  });

  it('retries a reset connection, a truncated body and an HTML page; not a wrong shape', async () => {
    emulator.injectFaults([{ kind: 'reset' }, { kind: 'truncate' }, { kind: 'html' }]);
    const { elb, retries } = client();
    await expect(elb.listJobs({}, far())).resolves.toEqual([]);
    expect(retries).toHaveLength(3);
    expect(retries[0]).toMatch(/connection reset/);
    expect(retries[2]).toMatch(/^HTTP 200 with a body that is not JSON \(request ID \w+\): <!DOCTYPE html>/i);

    emulator.injectFaults({ kind: 'shape' });
    const err = await elb.listJobs({}, far()).catch((e) => e);
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect(err.message).toBe('ListJobs answered its page with "jobs" as an object, not an array');
  });

  it('gives up on a slow answer after request_timeout, as a retryable network error', async () => {
    emulator.injectFaults({ kind: 'delay', ms: 1_500 });
    const { elb, retries } = client({ requestTimeoutMs: 300 });
    await expect(elb.listJobs({}, far())).resolves.toEqual([]);
    expect(retries).toEqual([expect.stringContaining('no complete answer within request_timeout (300 ms)')]);
  });

  it('never outlives the deadline: a slow answer is cut off when the timeout passes, not retried', async () => {
    emulator.injectFaults({ kind: 'delay', ms: 1_500, times: 5 });
    const { elb, retries } = client({ requestTimeoutMs: 1_000 });
    const started = Date.now();
    const err = await elb.listJobs({}, started + 200).catch((e) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err.message).toMatch(/no complete answer before the timeout passed$/);
    expect(Date.now() - started).toBeLessThan(700);
    expect(retries).toEqual([]);
  });
});
