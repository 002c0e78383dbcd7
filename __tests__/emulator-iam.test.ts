import { getIDToken } from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEMO_PROJECT_ID,
  ElbEmulator,
  type ElbEmulatorOptions,
  type ManualClock,
  manualClock,
  upgradeJob,
} from '../emulator/index.ts';
import { sdkSign } from './helpers/sdk.ts';

// ---------------------------------------------------------------------------------------------
// A real client: fetch, and the official SDK's AKSKSigner.sign for signed requests.

const IDP = 'github-actions';
const REQUEST_TOKEN = 'test-id-token-request-token-0001';
const IAM_TOKEN = 'test-iam-token-0004';
const P = DEMO_PROJECT_ID;
const JOBS = `/v3/${P}/elb/jobs`;
const T0 = Date.parse('2024-03-23T08:20:42Z');
const T0_S = T0 / 1000;
const OIDC = { idpId: IDP, requestToken: REQUEST_TOKEN };
const EXCHANGE = '/v3.0/OS-AUTH/id-token/tokens';
const SECURITY_TOKENS = '/v3.0/OS-CREDENTIAL/securitytokens';

interface Res {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  json: any;
}

async function call(url: string, init: RequestInit = {}): Promise<Res> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function standInUrl(base: string): string {
  return `${base}/_actions/id-token?api-version=2.0`;
}

function requestIdToken(base: string, bearer = REQUEST_TOKEN, audience?: string): Promise<Res> {
  // The way @actions/core's getIDToken builds the URL.
  const url =
    audience === undefined
      ? standInUrl(base)
      : `${standInUrl(base)}&audience=${encodeURIComponent(audience)}`;
  return call(url, { headers: { Authorization: `Bearer ${bearer}` } });
}

async function mint(base: string, audience?: string): Promise<string> {
  const res = await requestIdToken(base, REQUEST_TOKEN, audience);
  expect(res.status).toBe(200);
  return res.json.value as string;
}

/** `idp` null: no X-Idp-Id header. */
function exchange(base: string, jwt: string, idp: string | null = IDP, body?: unknown): Promise<Res> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json;charset=utf8' };
  if (idp !== null) headers['X-Idp-Id'] = idp;
  return call(`${base}${EXCHANGE}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body ?? { auth: { id_token: { id: jwt } } }),
  });
}

function securityTokenBody(duration?: unknown): unknown {
  const token = duration === undefined ? {} : { token: { duration_seconds: duration } };
  return { auth: { identity: { methods: ['token'], ...token } } };
}

function securityTokens(base: string, token: string | undefined, body: unknown): Promise<Res> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json;charset=utf8' };
  if (token !== undefined) headers['X-Auth-Token'] = token;
  return call(`${base}${SECURITY_TOKENS}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function sdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Signed GET headers (X-Project-Id and X-Security-Token signed); fetch sets the same Host itself. */
function signedGet(
  base: string,
  path: string,
  query: Record<string, string>,
  c: { access: string; secret: string; securitytoken: string },
  dateMs: number,
): Record<string, string> {
  const headers = sdkSign(
    {
      endpoint: `${base}${path}`,
      method: 'GET',
      headers: { 'X-Sdk-Date': sdkDate(dateMs), 'X-Project-Id': P, 'X-Security-Token': c.securitytoken },
      queryParams: query,
    },
    c.access,
    c.secret,
  );
  const { host: _host, ...rest } = headers;
  return rest;
}

/** The claims of a JWT, decoded here (not with the emulator's helper). */
function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function iamBody(code: string, message: string, title: string): unknown {
  return { error: { code, message, title } };
}

// ---------------------------------------------------------------------------------------------

let emulator: ElbEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
  vi.restoreAllMocks();
});

async function startEmulator(
  options: ElbEmulatorOptions = {},
): Promise<{ emu: ElbEmulator; base: string; clock: ManualClock }> {
  const clock = manualClock(T0);
  const emu = new ElbEmulator({ authTokens: [IAM_TOKEN], now: clock.now, oidc: OIDC, ...options });
  emulator = emu;
  const base = await emu.start();
  return { emu, base, clock };
}

/** Stand-in -> exchange -> securitytokens: temporary credentials the OIDC way. */
async function temporaryCredentials(base: string, duration?: number) {
  const subject = (await exchange(base, await mint(base))).headers.get('x-subject-token') ?? '';
  const res = await securityTokens(base, subject, securityTokenBody(duration));
  expect(res.status).toBe(201);
  return res.json.credential as { access: string; secret: string; securitytoken: string; expires_at: string };
}

// ---------------------------------------------------------------------------------------------

describe('runner ID-token stand-in (ACTIONS_ID_TOKEN_REQUEST_URL)', () => {
  it('mints a JWT with the documented claims for the right bearer token', async () => {
    const { emu, base } = await startEmulator();
    const res = await requestIdToken(base);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual(['value']);
    const jwt = res.json.value as string;
    const [header, , signature] = jwt.split('.');
    expect(jwt.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      typ: 'JWT',
      alg: 'RS256',
      kid: 'elb-emulator',
    });
    expect(Buffer.from(signature ?? '', 'base64url')).toHaveLength(64);
    const claims = claimsOf(jwt);
    expect(claims).toEqual({
      iss: 'https://token.actions.githubusercontent.com',
      aud: 'https://github.com/example',
      sub: 'repo:example/app:ref:refs/heads/main',
      repository: 'example/app',
      iat: T0_S,
      exp: T0_S + 300,
      jti: claims.jti,
    });
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(emu.mintedIdTokens).toEqual([{ jwt, claims }]);
    expect(emu.requests.map((r) => [r.route, r.auth, r.authenticated, r.status])).toEqual([
      ['actions-id-token', 'bearer', true, 200],
    ]);
  });

  it('puts the requested audience in aud; each token has its own jti', async () => {
    const { emu, base } = await startEmulator();
    const jwt = await mint(base, 'huaweicloud iam/sts');
    expect(claimsOf(jwt).aud).toBe('huaweicloud iam/sts');
    expect(emu.requests[0]?.query).toBe('api-version=2.0&audience=huaweicloud%20iam%2Fsts');
    await mint(base, 'huaweicloud iam/sts');
    const [a, b] = emu.mintedIdTokens;
    expect(a?.claims.jti).not.toBe(b?.claims.jti);
  });

  it('serves @actions/core getIDToken (the real client) with and without an audience', async () => {
    const { emu, base } = await startEmulator();
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', standInUrl(base));
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', REQUEST_TOKEN);
    try {
      const plain = await getIDToken();
      const scoped = await getIDToken('sts.example');
      expect(emu.mintedIdTokens.map((m) => [m.jwt, m.claims.aud])).toEqual([
        [plain, 'https://github.com/example'],
        [scoped, 'sts.example'],
      ]);
      expect(emu.requests.map((r) => [r.headers.authorization, r.query])).toEqual([
        [`Bearer ${REQUEST_TOKEN}`, 'api-version=2.0'],
        [`Bearer ${REQUEST_TOKEN}`, 'api-version=2.0&audience=sts.example'],
      ]);
      // core masks the token it got.
      expect(stdout.mock.calls.map((c) => String(c[0]))).toContain(`::add-mask::${plain}\n`);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('rejects a wrong, malformed or missing bearer token with 401 and mints nothing', async () => {
    const { emu, base } = await startEmulator();
    const wrong = await requestIdToken(base, 'not-the-request-token');
    expect([wrong.status, wrong.json]).toEqual([
      401,
      { message: 'The bearer token is not the ACTIONS_ID_TOKEN_REQUEST_TOKEN' },
    ]);
    const basic = await call(standInUrl(base), { headers: { Authorization: `Basic ${REQUEST_TOKEN}` } });
    expect([basic.status, basic.json]).toEqual([
      401,
      { message: 'The Authorization header is not a Bearer token' },
    ]);
    const none = await call(standInUrl(base));
    expect([none.status, none.json]).toEqual([
      401,
      { message: 'No Authorization header: send Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>' },
    ]);
    expect(emu.mintedIdTokens).toEqual([]);
    expect(emu.requests.map((r) => [r.auth, r.authenticated, r.status])).toEqual([
      ['bearer', false, 401],
      ['bearer', false, 401],
      ['none', false, 401],
    ]);
    expect(emu.requests[0]?.authError).toBe('The bearer token is not the ACTIONS_ID_TOKEN_REQUEST_TOKEN');
  });

  it('requires api-version=2.0 and at most one audience; without the oidc option rejects every bearer', async () => {
    const { base } = await startEmulator();
    const auth = { headers: { Authorization: `Bearer ${REQUEST_TOKEN}` } };
    const noVersion = await call(`${base}/_actions/id-token?audience=x`, auth);
    expect([noVersion.status, noVersion.json]).toEqual([
      400,
      { message: 'api-version must be given once, as 2.0 (got null)' },
    ]);
    const twice = await call(`${standInUrl(base)}&audience=a&audience=b`, auth);
    expect([twice.status, twice.json]).toEqual([400, { message: 'audience must be given at most once' }]);

    const bare = new ElbEmulator({ now: () => T0 });
    const bareBase = await bare.start();
    try {
      const res = await requestIdToken(bareBase);
      expect([res.status, res.json]).toEqual([
        401,
        { message: 'No ID token can be requested: the emulator has no oidc option' },
      ]);
    } finally {
      await bare.stop();
    }
  });
});

describe('IAM ID-token exchange (POST /v3.0/OS-AUTH/id-token/tokens)', () => {
  it('exchanges a minted ID token for a subject token (201, X-Subject-Token), tolerating a scope', async () => {
    const { emu, base, clock } = await startEmulator();
    const jwt = await mint(base);
    clock.advance(60_000);
    const res = await exchange(base, jwt, IDP, {
      auth: { id_token: { id: jwt }, scope: { project: { id: P } } },
    });
    expect(res.status).toBe(201);
    const token = res.headers.get('x-subject-token');
    expect(token).toMatch(/^emu-federated-token-[A-Za-z0-9_-]{64}$/);
    expect(res.json).toEqual({
      token: {
        expires_at: '2024-03-24T08:21:42.000000Z',
        methods: ['token'],
        issued_at: '2024-03-23T08:21:42.000000Z',
      },
    });
    expect(emu.issuedSubjectTokens).toEqual([
      {
        token,
        idpId: IDP,
        jti: emu.mintedIdTokens[0]?.claims.jti,
        issuedAt: T0 + 60_000,
        expiresAt: T0 + 60_000 + 24 * 3600_000,
      },
    ]);
    const r = emu.requests[1];
    expect([r?.method, r?.route, r?.auth, r?.authenticated, r?.status]).toEqual([
      'POST',
      'iam-id-token',
      'id-token',
      true,
      201,
    ]);
    expect(JSON.parse(r?.body ?? '')).toEqual({
      auth: { id_token: { id: jwt }, scope: { project: { id: P } } },
    });
  });

  it('answers an unknown or missing X-Idp-Id with 404 / 400 in IAM’s nested error shape', async () => {
    const { emu, base } = await startEmulator();
    const jwt = await mint(base);
    const unknown = await exchange(base, jwt, 'other-idp');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual(
      iamBody('IAM.0004', 'Could not find identity provider: other-idp.', 'Not Found'),
    );
    expect(unknown.headers.get('x-request-id')).toBe(emu.requests[1]?.requestId);
    expect(unknown.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const missing = await exchange(base, jwt, null);
    expect([missing.status, missing.json]).toEqual([
      400,
      iamBody('IAM.0011', 'The X-Idp-Id header is required.', 'Bad Request'),
    ]);
    expect(emu.issuedSubjectTokens).toEqual([]);
  });

  it('rejects a JWT not minted here with 401 saying so', async () => {
    const { base } = await startEmulator();
    const jwt = await mint(base);
    const [h, c] = jwt.split('.');
    const forged = `${h}.${c}.${Buffer.from('forged').toString('base64url')}`;
    const res = await exchange(base, forged);
    expect([res.status, res.json]).toEqual([
      401,
      iamBody(
        'IAM.0001',
        'The ID token is invalid: it was not issued by the identity provider (signature verification failed).',
        'Unauthorized',
      ),
    ]);
  });

  it('accepts the token until exp (iat + 300 s) and rejects it from then on with 401 "expired"', async () => {
    const { base, clock } = await startEmulator();
    const jwt = await mint(base);
    clock.advance(299_999);
    expect((await exchange(base, jwt)).status).toBe(201);
    clock.advance(1);
    const res = await exchange(base, jwt);
    expect([res.status, res.json]).toEqual([
      401,
      iamBody(
        'IAM.0001',
        'The ID token has expired: exp 2024-03-23T08:25:42.000Z is not after the server time 2024-03-23T08:25:42.000Z.',
        'Unauthorized',
      ),
    ]);
  });

  it('with oidc.audience, rejects a token of another aud with 401 and accepts the right one', async () => {
    const { emu, base } = await startEmulator({ oidc: { ...OIDC, audience: 'sts.huaweicloud' } });
    const res = await exchange(base, await mint(base));
    expect([res.status, res.json]).toEqual([
      401,
      iamBody(
        'IAM.0001',
        "The ID token's audience (aud) 'https://github.com/example' is not the audience 'sts.huaweicloud' of identity provider github-actions.",
        'Unauthorized',
      ),
    ]);
    expect(emu.requests[1]?.authError).toBe(res.json.error.message);
    expect((await exchange(base, await mint(base, 'sts.huaweicloud'))).status).toBe(201);
  });

  it('rejects a body that is not JSON or lacks auth.id_token.id with 400', async () => {
    const { base } = await startEmulator();
    const notJson = await call(`${base}${EXCHANGE}`, {
      method: 'POST',
      headers: { 'X-Idp-Id': IDP },
      body: '{',
    });
    expect([notJson.status, notJson.json]).toEqual([
      400,
      iamBody('IAM.0011', 'The request body is not valid JSON.', 'Bad Request'),
    ]);
    const noId = await exchange(base, '', IDP, { auth: { id_token: {} } });
    expect([noId.status, noId.json]).toEqual([
      400,
      iamBody('IAM.0011', 'Request parameter auth.id_token.id is missing or not a string.', 'Bad Request'),
    ]);
  });
});

describe('IAM temporary credentials (POST /v3.0/OS-CREDENTIAL/securitytokens)', () => {
  it('issues temporary AK/SK and a security token for a subject token, lasting duration_seconds', async () => {
    const { emu, base } = await startEmulator();
    const subject = (await exchange(base, await mint(base))).headers.get('x-subject-token') ?? '';
    const res = await securityTokens(base, subject, securityTokenBody(3600));
    expect(res.status).toBe(201);
    const issued = emu.issuedCredentials[0];
    expect(res.json).toEqual({
      credential: {
        access: issued?.access,
        secret: issued?.secret,
        securitytoken: issued?.securitytoken,
        expires_at: '2024-03-23T09:20:42.000000Z',
      },
    });
    expect(issued?.access).toMatch(/^EMUTEMP[A-Z0-9]{13}$/);
    expect(issued?.secret).toMatch(/^emu[A-Za-z0-9]{37}$/);
    expect(issued?.securitytoken).toMatch(/^emu-security-token-[A-Za-z0-9_-]{128}$/);
    expect([issued?.issuedAt, issued?.expiresAt, issued?.durationSeconds]).toEqual([T0, T0 + 3600_000, 3600]);
    expect([emu.requests[2]?.route, emu.requests[2]?.auth, emu.requests[2]?.authenticated]).toEqual([
      'iam-securitytokens',
      'token',
      true,
    ]);
  });

  it('accepts an options.authTokens token; duration_seconds defaults to 900; 900 and 86400 are the bounds', async () => {
    const { emu, base } = await startEmulator();
    const byDefault = await securityTokens(base, IAM_TOKEN, securityTokenBody());
    expect([byDefault.status, byDefault.json.credential.expires_at]).toEqual([
      201,
      '2024-03-23T08:35:42.000000Z',
    ]);
    expect((await securityTokens(base, IAM_TOKEN, securityTokenBody(900))).json.credential.expires_at).toBe(
      '2024-03-23T08:35:42.000000Z',
    );
    expect(
      (await securityTokens(base, IAM_TOKEN, securityTokenBody(86_400))).json.credential.expires_at,
    ).toBe('2024-03-24T08:20:42.000000Z');
    expect(emu.issuedCredentials.map((c) => c.durationSeconds)).toEqual([900, 900, 86_400]);
    expect(new Set(emu.issuedCredentials.map((c) => c.access)).size).toBe(3);
  });

  it('rejects a duration_seconds outside 900..86400 or not an integer with 400', async () => {
    const { emu, base } = await startEmulator();
    for (const bad of [899, 86_401, 900.5, '3600', null]) {
      const res = await securityTokens(base, IAM_TOKEN, securityTokenBody(bad));
      expect([res.status, res.json]).toEqual([
        400,
        iamBody(
          'IAM.0011',
          `Request parameter auth.identity.token.duration_seconds must be an integer from 900 to 86400, got ${JSON.stringify(bad)}.`,
          'Bad Request',
        ),
      ]);
    }
    const noMethod = await securityTokens(base, IAM_TOKEN, { auth: { identity: { methods: ['password'] } } });
    expect([noMethod.status, noMethod.json]).toEqual([
      400,
      iamBody('IAM.0011', 'Request parameter auth.identity.methods must contain "token".', 'Bad Request'),
    ]);
    expect((await securityTokens(base, IAM_TOKEN, 'not json')).status).toBe(400);
    expect(emu.issuedCredentials).toEqual([]);
  });

  it('rejects an unknown, missing or expired X-Auth-Token with 401', async () => {
    const { emu, base, clock } = await startEmulator();
    const bad = await securityTokens(base, 'not-a-token', securityTokenBody());
    expect([bad.status, bad.json]).toEqual([
      401,
      iamBody('IAM.0001', 'The X-Auth-Token is invalid.', 'Unauthorized'),
    ]);
    expect(bad.headers.get('x-request-id')).toBe(emu.requests[0]?.requestId);
    const none = await securityTokens(base, undefined, securityTokenBody());
    expect([none.status, none.json]).toEqual([
      401,
      iamBody(
        'IAM.0001',
        'The request you have made requires authentication: no X-Auth-Token header.',
        'Unauthorized',
      ),
    ]);
    const subject = (await exchange(base, await mint(base))).headers.get('x-subject-token') ?? '';
    clock.advance(24 * 3600_000 - 1);
    expect((await securityTokens(base, subject, securityTokenBody())).status).toBe(201);
    clock.advance(1);
    const expired = await securityTokens(base, subject, securityTokenBody());
    expect([expired.status, expired.json]).toEqual([
      401,
      iamBody(
        'IAM.0001',
        'The X-Auth-Token has expired: it expired at 2024-03-24T08:20:42.000000Z.',
        'Unauthorized',
      ),
    ]);
  });

  it('caps the lifetime at oidc.credentialLifetimeMs, and not below what was asked when the cap is larger', async () => {
    const { emu, base } = await startEmulator({ oidc: { ...OIDC, credentialLifetimeMs: 60_000 } });
    expect((await temporaryCredentials(base, 3600)).expires_at).toBe('2024-03-23T08:21:42.000000Z');
    expect([emu.issuedCredentials[0]?.expiresAt, emu.issuedCredentials[0]?.durationSeconds]).toEqual([
      T0 + 60_000,
      3600,
    ]);
    await emu.stop();
    const { base: base2 } = await startEmulator({ oidc: { ...OIDC, credentialLifetimeMs: 7200_000 } });
    expect((await temporaryCredentials(base2, 3600)).expires_at).toBe('2024-03-23T09:20:42.000000Z');
  });
});

describe('signed requests with issued temporary credentials', () => {
  it('accepts ListJobs and the project lookup until expires_at, then 401 APIGW.0301 "security token has expired"', async () => {
    const { emu, base, clock } = await startEmulator({
      oidc: { ...OIDC, credentialLifetimeMs: 120_000 },
      projects: [{ id: P, name: 'cn-north-4' }],
    });
    emu.addJob(upgradeJob({ jobId: 'job-1', durationMs: 600_000, outcome: 'COMPLETE' }));
    const c = await temporaryCredentials(base, 900);
    emu.clearRequests();

    clock.advance(119_999);
    const ok = await call(`${base}${JOBS}?limit=5`, {
      headers: signedGet(base, JOBS, { limit: '5' }, c, clock.now()),
    });
    expect(ok.status).toBe(200);
    expect(ok.json.jobs.map((j: { job_id: string }) => j.job_id)).toEqual(['job-1']);
    const projects = await call(`${base}/v3/projects?name=cn-north-4`, {
      headers: signedGet(base, '/v3/projects', { name: 'cn-north-4' }, c, clock.now()),
    });
    expect([projects.status, projects.json.projects]).toEqual([
      200,
      [{ id: P, name: 'cn-north-4', enabled: true }],
    ]);
    expect(emu.requests.map((r) => [r.route, r.auth, r.accessKey, r.signatureVerified])).toEqual([
      ['list', 'aksk', c.access, true],
      ['projects', 'aksk', c.access, true],
    ]);
    expect(emu.requests[0]?.headers['x-security-token']).toBe(c.securitytoken);

    clock.advance(1);
    const expired = await call(`${base}${JOBS}?limit=5`, {
      headers: signedGet(base, JOBS, { limit: '5' }, c, clock.now()),
    });
    expect(expired.status).toBe(401);
    expect(expired.json.error_code).toBe('APIGW.0301');
    const [message, canonical] = (expired.json.error_msg as string).split(', canonicalRequest: ');
    expect(message).toBe(
      'Incorrect IAM authentication information: the security token has expired: it expired at ' +
        '2024-03-23T08:22:42.000Z, the server time is 2024-03-23T08:22:42.000Z',
    );
    expect(canonical?.startsWith(`GET|${JOBS}/|limit=5|`)).toBe(true);
    expect(emu.requests[2]?.authError).toBe(expired.json.error_msg);
  });

  it('rejects the temporary AK with another security token or a wrong secret', async () => {
    const { base } = await startEmulator();
    const c = await temporaryCredentials(base);
    const other = await call(`${base}${JOBS}`, {
      headers: signedGet(base, JOBS, {}, { ...c, securitytoken: 'emu-security-token-other' }, T0),
    });
    expect(other.status).toBe(401);
    expect(other.json.error_msg).toContain(
      'the X-Security-Token of this temporary access key is missing or invalid',
    );
    const wrongSk = await call(`${base}${JOBS}`, {
      headers: signedGet(base, JOBS, {}, { ...c, secret: 'wrong' }, T0),
    });
    expect(wrongSk.status).toBe(401);
    expect(wrongSk.json.error_msg).toContain('verify aksk signature fail, the signature does not match');
  });

  it('does not accept a subject token as X-Auth-Token on ELB (it is unscoped)', async () => {
    const { base } = await startEmulator();
    const subject = (await exchange(base, await mint(base))).headers.get('x-subject-token') ?? '';
    const res = await call(`${base}${JOBS}`, { headers: { 'X-Auth-Token': subject } });
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIGW.0301');
  });
});

describe('faults on IAM and runner routes', () => {
  it('a fault with routes targets only those routes; ELB faults pass over it', async () => {
    const { emu, base } = await startEmulator();
    emu.injectFaults([
      { kind: 'status', status: 503, routes: ['iam-securitytokens'] },
      { kind: 'status', status: 429 },
    ]);
    expect((await call(`${base}${JOBS}`, { headers: { 'X-Auth-Token': IAM_TOKEN } })).status).toBe(429);
    expect((await requestIdToken(base)).status).toBe(200);
    const down = await securityTokens(base, IAM_TOKEN, securityTokenBody());
    expect([down.status, down.json]).toEqual([
      503,
      iamBody('IAM.0006', 'The service is currently unavailable.', 'Service Unavailable'),
    ]);
    expect(down.headers.get('x-request-id')).toBe(emu.requests[2]?.requestId);
    expect((await securityTokens(base, IAM_TOKEN, securityTokenBody())).status).toBe(201);
    expect(emu.pendingFaults()).toBe(0);
    expect(emu.requests.map((r) => [r.route, r.status, r.fault])).toEqual([
      ['list', 429, 'status'],
      ['actions-id-token', 200, undefined],
      ['iam-securitytokens', 503, 'status'],
      ['iam-securitytokens', 201, undefined],
    ]);
  });

  it('applies after the route’s authentication checks unless beforeAuth', async () => {
    const { emu, base } = await startEmulator();
    emu.injectFaults({ kind: 'status', status: 502, routes: ['iam-id-token'] });
    expect((await exchange(base, 'not-minted')).status).toBe(401); // does not consume the fault
    expect(emu.pendingFaults()).toBe(1);
    const jwt = await mint(base);
    expect((await exchange(base, jwt)).status).toBe(502);
    expect(emu.issuedSubjectTokens).toEqual([]);
    emu.injectFaults({ kind: 'reset', routes: ['actions-id-token'], beforeAuth: true });
    await expect(requestIdToken(base, 'wrong')).rejects.toThrow('fetch failed');
    expect(emu.requests.at(-1)?.fault).toBe('reset');
    expect(emu.requests.at(-1)?.status).toBeNull();
  });

  it('shape and empty answer with the route’s success status; shape has no X-Subject-Token', async () => {
    const { emu, base } = await startEmulator();
    emu.injectFaults([
      { kind: 'shape', routes: ['iam-id-token'] },
      { kind: 'empty', routes: ['iam-securitytokens'] },
      { kind: 'shape', routes: ['actions-id-token'] },
    ]);
    const jwt = await mint(base); // the stand-in's shape fault is queued after two others: it applies here
    expect(jwt).toBeUndefined();
    const real = await mint(base);
    const shape = await exchange(base, real);
    expect([shape.status, shape.json, shape.headers.get('x-subject-token')]).toEqual([
      201,
      { token: { unexpected: true } },
      null,
    ]);
    const empty = await securityTokens(base, IAM_TOKEN, securityTokenBody());
    expect([empty.status, empty.text]).toEqual([201, '']);
    expect(emu.pendingFaults()).toBe(0);
  });

  it('@actions/core retries a 503 from the stand-in (its HTTP client retries GETs on 502/503/504)', async () => {
    const { emu, base } = await startEmulator();
    emu.injectFaults({ kind: 'status', status: 503, times: 2, routes: ['actions-id-token'] });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', standInUrl(base));
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', REQUEST_TOKEN);
    try {
      const jwt = await getIDToken('sts.example');
      expect(claimsOf(jwt).aud).toBe('sts.example');
      expect(emu.requests.map((r) => r.status)).toEqual([503, 503, 200]);
      expect(emu.requests[0]?.headers).toMatchObject({ authorization: `Bearer ${REQUEST_TOKEN}` });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('rejects routes that are empty or name unknown', async () => {
    const { emu } = await startEmulator();
    const message = "ElbEmulator: a fault's routes must be non-empty and must not include 'unknown'";
    expect(() => emu.injectFaults({ kind: 'reset', routes: [] })).toThrow(message);
    expect(() => emu.injectFaults({ kind: 'reset', routes: ['unknown'] })).toThrow(message);
    expect(emu.pendingFaults()).toBe(0);
  });
});
