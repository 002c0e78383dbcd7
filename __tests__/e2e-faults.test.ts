/**
 * Under faults: the action against the emulator's scripted throttling, 5xx, resets, slow and malformed answers,
 * authentication failures (in process, on a scripted clock), and end to end the bundle under a refused connection,
 * a skewed clock, cancellation and a proxy.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID, ElbEmulator, upgradeJob } from '../emulator/index.ts';
import { TestProxy } from '../emulator/proxy.ts';
import { AK, errors, SECURITY_TOKEN, SK, TEMP_AK, useEmulator, warnings } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

describe('retried faults end in success, one warning per retry', () => {
  const e2e = useInProcess();

  it.each([
    [{ kind: 'status', status: 500 } as const, /HTTP 500 /],
    [{ kind: 'status', status: 502 } as const, /HTTP 502 /],
    [{ kind: 'status', status: 503 } as const, /HTTP 503 /],
    [{ kind: 'status', status: 504 } as const, /HTTP 504 /],
    [{ kind: 'reset' } as const, /connection reset before a full answer/],
    [{ kind: 'truncate' } as const, /connection reset before a full answer|terminated|closed/],
    [{ kind: 'html' } as const, /HTTP 200 with a body that is not JSON \(request ID \w+\): <!DOCTYPE html>/],
    [{ kind: 'empty' } as const, /HTTP 200 with an empty body/],
  ])('%o', async (fault, reason) => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults(fault);
    const r = await e2e.run({ job_id: id });
    expect(r.code).toBe(0);
    expect(r.outputs.result).toBe('success');
    const w = warnings(r);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^::warning::Request failed \(GET \/v3\/|^::warning::Request failed \(HTTP /);
    expect(w[0]).toMatch(reason);
    expect(w[0]).toMatch(/; retry 1 in \d+(ms|s)$/);
    expect(e2e.emulator.requests[0]?.fault).toBeDefined();
  });

  it('throttled (429): not retried inside the poll; the schedule slows down, with one notice', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'status', status: 429, times: 2 });
    const r = await e2e.run({ job_id: id });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([]);
    expect(
      r.stdout.match(/::notice::Huawei Cloud's API gateway is throttling this account \(HTTP 429\)/g),
    ).toHaveLength(1);
    expect(r.summary).toContain("2 answers were throttled by Huawei Cloud's API gateway (HTTP 429)");
    // The second throttled answer came a slowed-down interval after the first (at least 5 x max_poll_interval, less
    // up to 25 % jitter), not a retry's second (at most) later.
    const [first, second] = e2e.emulator.requests;
    expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(5 * 300 * 0.75);
  });

  it('honours Retry-After', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'status', status: 503, headers: { 'Retry-After': '2' } });
    const r = await e2e.run({ job_id: id });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([expect.stringMatching(/HTTP 503 .*; retry 1 in 2s$/)]);
    const [first, second] = e2e.emulator.requests;
    expect((second?.time ?? 0) - (first?.time ?? 0)).toBeGreaterThanOrEqual(2_000);
  });

  it('retries an answer slower than request_timeout', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'delay', ms: 2_500 });
    const r = await e2e.run({ job_id: id, request_timeout: '1s' });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([
      expect.stringMatching(/no complete answer within request_timeout \(1000 ms\)/),
    ]);
  });

  it('never retries past timeout: a gateway down for good ends as a timeout', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'status', status: 503, times: 1_000 });
    const r = await e2e.run({ job_id: id, timeout: '3s' });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('timeout');
    expect(errors(r)).toContain('the last poll failed: HTTP 503');
    expect(r.ms).toBeLessThan(3_000 + 2_000);
    const last = e2e.emulator.requests.at(-1)?.time ?? 0;
    expect(last - (e2e.emulator.requests[0]?.time ?? 0)).toBeLessThanOrEqual(3_000);
  });
});

describe('a refused connection, end to end', () => {
  const e2e = useEmulator();

  it('keeps retrying a refused connection until the endpoint comes up', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const late = new ElbEmulator({ credentials: [{ accessKey: AK, secretKey: SK }] });
    const id = late.addJob(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' })).job_id;
    const starting = new Promise((resolve) => setTimeout(resolve, 800)).then(() => late.start(port));
    try {
      const r = await e2e.run({ job_id: id, endpoint: `http://127.0.0.1:${port}` });
      expect(r.code).toBe(0);
      expect(warnings(r).length).toBeGreaterThanOrEqual(1);
      expect(warnings(r).every((w) => w.includes('connection refused'))).toBe(true);
    } finally {
      await starting;
      await late.stop();
    }
  });
});

describe('a bad body that does not go away', () => {
  const e2e = useInProcess();

  it('ends as a timeout quoting the status and a short excerpt', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'html', times: 1_000 });
    const r = await e2e.run({ job_id: id, timeout: '2s' });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('timeout');
    const error = decodeURIComponent(errors(r));
    expect(error).toMatch(
      /the last poll failed: HTTP 200 with a body that is not JSON \(request ID \w+\): <!DOCTYPE html>/,
    );
    expect(error).toContain('502 Bad Gateway');
    expect(r.ms).toBeLessThan(2_000 + 2_000);
  });
});

describe('not retried', () => {
  const e2e = useInProcess();

  it('a body of the wrong shape: one request, naming the field and its type', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({ kind: 'shape' });
    const r = await e2e.run({ job_id: id });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests).toHaveLength(1);
    expect(errors(r)).toBe('::error::ListJobs answered its page with "jobs" as an object, not an array');
    expect(r.outputs.result).toBe('error');
  });

  it('401 with a wrong SK: exactly one request, the gateway error, a hint and its canonical request', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id, secret_key: 'wrong-secret-key-000000000000000000000' });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests).toHaveLength(1);
    const error = decodeURIComponent(errors(r));
    expect(error).toMatch(
      /^::error::HTTP 401 APIGW\.0301: Incorrect IAM authentication information: verify aksk signature fail/,
    );
    expect(error).toContain(`(request ID ${e2e.emulator.requests[0]?.requestId})`);
    expect(error).toContain('Not retried: Huawei Cloud locks an AK');
    expect(error).toContain('Check that access_key and secret_key belong together');
    expect(error).toContain(
      `The gateway's canonical request was:\n  GET\n  /v3/${DEMO_PROJECT_ID}/elb/jobs/\n  job_id=`,
    );
    expect(r.outputs).toMatchObject({ result: 'error', error_code: 'APIGW.0301' });
    expect(r.outputs.error_msg).toContain('verify aksk signature fail');
    expect(r.summary.split('\n')[0]).toMatch(new RegExp(`^## ⚠️ ERROR · job ${id} · \\d+m?s$`));
  });

  it('401 with temporary credentials: the security token in the gateway message is masked', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run({
      job_id: id,
      access_key: TEMP_AK,
      secret_key: 'wrong',
      security_token: SECURITY_TOKEN,
    });
    expect(e2e.emulator.requests).toHaveLength(1);
    expect(r.outputs.error_msg).toContain('x-security-token:***');
    expect(decodeURIComponent(errors(r))).toContain('x-security-token:***');
  });

  it('403: one request and a permission hint', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({
      kind: 'status',
      status: 403,
      body: { error_code: 'ELB.1004', error_msg: "Policy doesn't allow elb:jobs:list to be performed." },
    });
    const r = await e2e.run({ job_id: id });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests).toHaveLength(1);
    expect(decodeURIComponent(errors(r))).toContain(
      'lack permission: grant the IAM user or agency read access to ELB',
    );
    expect(r.outputs).toMatchObject({ result: 'error', error_code: 'ELB.1004' });
  });

  describe('a runner clock 20 minutes behind the gateway', () => {
    const skewed = useEmulator({ now: () => Date.now() + 20 * 60_000 });
    it('401 with a clock hint', async () => {
      const id = skewed.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
      const r = await skewed.run({ job_id: id });
      expect(r.code).toBe(1);
      expect(skewed.emulator.requests).toHaveLength(1);
      expect(decodeURIComponent(errors(r))).toMatch(
        /The runner's clock is (19m 59s|20m) behind the gateway's; signatures more than 15 minutes off/,
      );
    });
  });
});

describe('cancellation', () => {
  const e2e = useEmulator();

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'on %s: outputs and summary with the last known state, exit within 5 s',
    async (signal) => {
      const id = e2e.add(upgradeJob({ durationMs: 60_000, outcome: 'COMPLETE' }));
      let child: ChildProcess | undefined;
      let sentAt = 0;
      const r = await e2e.run(
        { job_id: id, poll_interval: '200ms', max_poll_interval: '10s' },
        {},
        {
          onSpawn: (c) => {
            child = c;
          },
          onStdout: (chunk) => {
            if (!sentAt && chunk.includes('UPGRADE_INIT')) {
              sentAt = performance.now();
              setTimeout(() => child?.kill(signal), 300);
            }
          },
        },
      );
      const took = performance.now() - sentAt - 300;
      expect(sentAt).toBeGreaterThan(0);
      expect(r.code).toBe(1);
      expect(took).toBeLessThan(5_000);
      expect(r.stdout).toContain(`Received ${signal}: stopping and reporting the last known state`);
      expect(r.outputs).toMatchObject({ result: 'cancelled', job_id: id });
      expect(['INIT', 'RUNNING']).toContain(r.outputs.status);
      expect(errors(r)).toMatch(
        new RegExp(`Cancelled after \\S+; last known: UPGRADE job ${id} last (INIT|RUNNING)`),
      );
      expect(r.summary.split('\n')[0]).toMatch(
        /^## 🚫 CANCELLED \(last (INIT|RUNNING)\) · UPGRADE · loadbalancer \S+ · \d+ms so far$|^## 🚫 CANCELLED \(last (INIT|RUNNING)\) · UPGRADE · loadbalancer \S+ · \d+s so far$/,
      );
      expect(r.summary).toContain(`UPGRADE ${id}`);
    },
  );
});

describe('proxies', () => {
  const e2e = useEmulator();

  it.each(['HTTP_PROXY', 'http_proxy'])('sends every request through %s', async (name) => {
    const proxy = new TestProxy();
    const proxyUrl = await proxy.start();
    try {
      const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
      const r = await e2e.run({ job_id: id }, { [name]: proxyUrl, NO_PROXY: '', no_proxy: '' });
      expect(r.code).toBe(0);
      const host = new URL(e2e.url).host;
      expect(proxy.seen.length).toBeGreaterThanOrEqual(1);
      expect(proxy.seen.every((s) => s === `CONNECT ${host}` || s.startsWith(`GET http://${host}/`))).toBe(
        true,
      );
      expect(e2e.emulator.requests.every((q) => q.signatureVerified)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const proxy = new TestProxy();
    const proxyUrl = await proxy.start();
    try {
      const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
      const r = await e2e.run(
        { job_id: id },
        { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, NO_PROXY: '127.0.0.1', no_proxy: '' },
      );
      expect(r.code).toBe(0);
      expect(proxy.seen).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
