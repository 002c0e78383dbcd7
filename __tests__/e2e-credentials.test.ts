/**
 * Every credential path, end to end on the bundled action, with the emulator verifying each signature:
 * AK/SK, temporary AK/SK + security token, IAM token, environment fallbacks, keyless OIDC, project lookup.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../emulator/action-runner.ts';
import type { ElbEmulator } from '../emulator/index.ts';
import { DEMO_PROJECT_ID, upgradeJob } from '../emulator/index.ts';
import {
  AK,
  AUTH_TOKEN,
  errors,
  SECURITY_TOKEN,
  SK,
  TEMP_AK,
  TEMP_SK,
  useEmulator,
  warnings,
} from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

const IDP = 'github-actions';
const AUDIENCE = 'huaweicloud';
const REQUEST_TOKEN = 'runner-id-token-request-token-0000000000';

/** What the runner sets for a job with `permissions: id-token: write`. */
function oidcEnv(url: string): Record<string, string> {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/_actions/id-token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
  };
}

/** No ID token, subject token or issued credential anywhere the user can read. */
function expectNoIssuedSecrets(emulator: ElbEmulator, r: RunResult): void {
  const visible = [
    ...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')),
    r.stderr,
    r.summary,
    ...Object.values(r.outputs),
  ].join('\n');
  const secrets = [
    REQUEST_TOKEN,
    ...emulator.mintedIdTokens.map((t) => t.jwt),
    ...emulator.issuedSubjectTokens.map((t) => t.token),
    ...emulator.issuedCredentials.flatMap((c) => [c.access, c.secret, c.securitytoken]),
  ];
  for (const secret of secrets) expect(visible).not.toContain(secret);
}

describe('credentials and project', () => {
  const e2e = useEmulator();
  const { add, run } = e2e;

  it('signs X-Security-Token with temporary credentials', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run({
      job_id: id,
      access_key: TEMP_AK,
      secret_key: TEMP_SK,
      security_token: SECURITY_TOKEN,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`::add-mask::${SECURITY_TOKEN}`);
    for (const req of e2e.emulator.requests) {
      expect(req.signatureVerified).toBe(true);
      expect(req.headers['x-security-token']).toBe(SECURITY_TOKEN);
      expect(String(req.headers.authorization)).toContain(
        'SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,',
      );
    }
  });

  it('sends auth_token as X-Auth-Token, unsigned', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id, access_key: '', secret_key: '', auth_token: AUTH_TOKEN });
    expect(r.code).toBe(0);
    expect(
      e2e.emulator.requests.every((q) => q.auth === 'token' && q.headers.authorization === undefined),
    ).toBe(true);
  });

  it('takes AK/SK from the environment huaweicloud/auth-action leaves behind', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run(
      { job_id: id, access_key: '', secret_key: '' },
      { HUAWEI_CLOUD_ACCESS_KEY_ID: AK, HUAWEI_CLOUD_SECRET_ACCESS_KEY: SK },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`::add-mask::${SK}`);
    expect(e2e.emulator.requests.every((q) => q.accessKey === AK && q.signatureVerified)).toBe(true);
  });

  it('looks the project ID up from the region through IAM when project_id is not given', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id, project_id: '', region: 'cn-north-4', iam_endpoint: e2e.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Project ID for cn-north-4: ${DEMO_PROJECT_ID}`);
    expect(e2e.emulator.requests[0]).toMatchObject({
      route: 'projects',
      query: 'name=cn-north-4',
      signatureVerified: true,
    });
    expect(e2e.emulator.requests.slice(1).every((q) => q.route === 'list')).toBe(true);
  });

  it('auth_token wins over AK/SK, with a warning saying so', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id, auth_token: AUTH_TOKEN });
    expect(r.code).toBe(0);
    expect(warnings(r).join('\n')).toMatch(/auth_token/);
    expect(e2e.emulator.requests.every((q) => q.auth === 'token')).toBe(true);
  });

  it('says so when IAM lists no project for the region', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id, project_id: '', region: 'eu-west-101', iam_endpoint: e2e.url });
    expect(r.code).toBe(1);
    expect(errors(r)).toContain("Input 'project_id': IAM lists no project named 'eu-west-101'");
    expect(e2e.emulator.requests.map((q) => q.route)).toEqual(['projects']);
  });

  it('says what to do when IAM refuses the project lookup', async () => {
    const id = add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    e2e.emulator.injectFaults({
      kind: 'status',
      status: 403,
      routes: ['projects'],
      body: {
        error: { code: 'IAM.0003', message: "Policy doesn't allow iam:projects:list to be performed." },
      },
    });
    const r = await run({ job_id: id, project_id: '', region: 'cn-north-4', iam_endpoint: e2e.url });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests).toHaveLength(1);
    const error = decodeURIComponent(errors(r));
    expect(error).toContain(
      'IAM refused to list the projects of cn-north-4 (needed because project_id is not set): HTTP 403 IAM.0003',
    );
    expect(error).toContain('Set project_id');
    expect(r.outputs).toMatchObject({ result: 'error', error_code: 'IAM.0003' });
  });
});

const keyless = { access_key: '', secret_key: '', idp_id: IDP, id_token_audience: AUDIENCE };

describe("keyless, end to end: the runner's OIDC token exchanged through IAM", () => {
  const e2e = useEmulator({ oidc: { idpId: IDP, audience: AUDIENCE, requestToken: REQUEST_TOKEN } });

  it('signs every ELB request with the temporary AK/SK and a signed X-Security-Token', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 500, outcome: 'COMPLETE' }));
    const r = await e2e.run(
      { job_id: id, iam_endpoint: e2e.url, timeout: '1h', ...keyless },
      oidcEnv(e2e.url),
    );
    expect(r.code).toBe(0);
    const routes = e2e.emulator.requests.map((q) => q.route);
    expect(routes.slice(0, 3)).toEqual(['actions-id-token', 'iam-id-token', 'iam-securitytokens']);
    expect(routes.slice(3).every((route) => route === 'list')).toBe(true);
    expect(e2e.emulator.mintedIdTokens[0]?.claims.aud).toBe(AUDIENCE);
    const issued = e2e.emulator.issuedCredentials;
    expect(issued).toHaveLength(1);
    // Lifetime asked for: the timeout plus ten minutes.
    expect(issued[0]?.durationSeconds).toBe(3_600 + 600);
    for (const q of e2e.emulator.requests.slice(3)) {
      expect(q).toMatchObject({ accessKey: issued[0]?.access, signatureVerified: true });
      expect(q.headers['x-security-token']).toBe(issued[0]?.securitytoken);
      expect(String(q.headers.authorization)).toContain(
        'SignedHeaders=host;x-project-id;x-sdk-date;x-security-token,',
      );
    }
    for (const secret of [issued[0]?.access, issued[0]?.secret, issued[0]?.securitytoken]) {
      expect(r.stdout).toContain(`::add-mask::${secret}`);
    }
    expectNoIssuedSecrets(e2e.emulator, r);
  });
});

describe('keyless: the workflow OIDC token exchanged through IAM (in process)', () => {
  const e2e = useInProcess({ oidc: { idpId: IDP, audience: AUDIENCE, requestToken: REQUEST_TOKEN } });

  it('looks the project up with the temporary credentials', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run(
      { job_id: id, iam_endpoint: e2e.url, project_id: '', region: 'cn-north-4', ...keyless },
      oidcEnv(e2e.url),
    );
    expect(r.code).toBe(0);
    const lookup = e2e.emulator.requests.find((q) => q.route === 'projects');
    expect(lookup).toMatchObject({
      accessKey: e2e.emulator.issuedCredentials[0]?.access,
      signatureVerified: true,
    });
    expectNoIssuedSecrets(e2e.emulator, r);
  });

  it('stops before any request without permissions: id-token: write', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id, iam_endpoint: e2e.url, ...keyless });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests).toHaveLength(0);
    expect(errors(r)).toContain('Add `permissions: id-token: write` to the workflow or the job');
  });

  it("shows IAM's error when it rejects the token, without retrying", async () => {
    const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
    const r = await e2e.run(
      { job_id: id, iam_endpoint: e2e.url, ...keyless, id_token_audience: 'someone-else' },
      oidcEnv(e2e.url),
    );
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests.map((q) => q.route)).toEqual(['actions-id-token', 'iam-id-token']);
    const error = decodeURIComponent(errors(r));
    expect(error).toMatch(
      /IAM refused the workflow's OIDC token \(identity provider 'github-actions'\): HTTP 401 IAM\.\d+: /,
    );
    expect(error).toContain('its client ID must equal id_token_audience');
    expect(r.outputs.result).toBe('error');
    expect(r.outputs.error_code).toMatch(/^IAM\./);
    expectNoIssuedSecrets(e2e.emulator, r);
  });

  describe('with credentials that expire during the wait', () => {
    const short = useInProcess({
      oidc: { idpId: IDP, audience: AUDIENCE, requestToken: REQUEST_TOKEN, credentialLifetimeMs: 1_500 },
    });
    it('renews them before they expire', async () => {
      const id = short.add(upgradeJob({ durationMs: 4_000, outcome: 'COMPLETE' }));
      const r = await short.run({ job_id: id, iam_endpoint: short.url, ...keyless }, oidcEnv(short.url));
      expect(r.code).toBe(0);
      const issued = short.emulator.issuedCredentials;
      expect(issued.length).toBeGreaterThanOrEqual(3);
      expect(r.stdout).toContain(
        'Renewed the temporary credentials from the OIDC exchange before they expire',
      );
      // Every ELB request was signed with credentials still valid when it arrived.
      const lists = short.emulator.requests.filter((q) => q.route === 'list');
      expect(lists.every((q) => q.status === 200 && q.signatureVerified)).toBe(true);
      for (const q of lists) {
        const cred = issued.find((c) => c.access === q.accessKey);
        expect(cred).toBeDefined();
        expect(q.time).toBeLessThan(cred?.expiresAt ?? 0);
      }
      expectNoIssuedSecrets(short.emulator, r);
    });
  });
});
