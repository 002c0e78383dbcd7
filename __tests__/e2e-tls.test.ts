/**
 * End to end over HTTPS, as against the real endpoints: the bundled action against the emulator serving TLS with a
 * throwaway certificate, directly, through a CONNECT tunnel of an HTTP proxy and of an HTTPS proxy, and with a
 * certificate it does not trust.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeJob } from '../emulator/index.ts';
import { TestProxy } from '../emulator/proxy.ts';
import { errors, useEmulator } from './helpers/e2e.ts';
import { selfSignedCertificate } from './helpers/tls.ts';

const certificate = selfSignedCertificate();
afterAll(() => certificate.remove());
/** What the runner's CA store would do for a real endpoint: trust the emulator's certificate. */
const TRUSTED = { NODE_EXTRA_CA_CERTS: certificate.certFile };

describe('an https endpoint', () => {
  const e2e = useEmulator({ tls: { key: certificate.key, cert: certificate.cert } });

  it('is reached over TLS, its requests signed for it', async () => {
    expect(e2e.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id }, TRUSTED);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ result: 'success', status: 'COMPLETE' });
    expect(e2e.emulator.requests.length).toBeGreaterThanOrEqual(1);
    expect(e2e.emulator.requests.every((q) => q.signatureVerified)).toBe(true);
  });

  it.each(['HTTP', 'HTTPS'] as const)('is reached through a CONNECT tunnel of an %s proxy', async (kind) => {
    const proxy = new TestProxy(
      kind === 'HTTPS' ? { tls: { key: certificate.key, cert: certificate.cert } } : {},
    );
    const proxyUrl = await proxy.start();
    try {
      const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
      const r = await e2e.run(
        { job_id: id },
        { ...TRUSTED, HTTPS_PROXY: proxyUrl, NO_PROXY: '', no_proxy: '' },
      );
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({ result: 'success', status: 'COMPLETE' });
      const host = new URL(e2e.url).host;
      expect(proxy.seen.length).toBeGreaterThanOrEqual(1);
      expect(proxy.seen.every((s) => s === `CONNECT ${host}`)).toBe(true);
      // The bundle has no HTTP/2 client: a proxy that picked h2 would break every request.
      if (kind === 'HTTPS') {
        expect(proxy.alpn.length).toBeGreaterThanOrEqual(1);
        expect(proxy.alpn.every((offered) => offered.join() === 'http/1.1')).toBe(true);
      }
    } finally {
      await proxy.stop();
    }
  });

  it('with a certificate the runner does not trust: fails at once, saying how to trust it', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const started = performance.now();
    const r = await e2e.run({ job_id: id, timeout: '1m' }, { NODE_EXTRA_CA_CERTS: '' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('error');
    expect(errors(r)).toContain(
      `the TLS certificate of ${new URL(e2e.url).host} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)`,
    );
    expect(errors(r)).toContain('NODE_EXTRA_CA_CERTS');
    expect(r.stdout).not.toContain('retry');
    expect(e2e.emulator.requests).toEqual([]);
  });
});

describe('an https endpoint that answers in plain HTTP', () => {
  const e2e = useEmulator();

  it('fails at once, saying the endpoint does not speak TLS', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const endpoint = e2e.url.replace(/^http:/, 'https:');
    const r = await e2e.run({ job_id: id, endpoint, timeout: '1m' });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('error');
    expect(errors(r)).toContain(
      `${new URL(endpoint).host} did not answer in TLS (ERR_SSL_WRONG_VERSION_NUMBER). Check that \`endpoint\``,
    );
    expect(r.stdout).not.toContain('retry');
    expect(e2e.emulator.requests).toEqual([]);
  });
});
