/**
 * Every call to IAM, and the choice of how requests are authorized:
 * - the project lookup (`GET /v3/projects?name=<region>`) when `project_id` is not given;
 * - keyless auth: the workflow's GitHub OIDC ID token is exchanged through an IAM identity provider for temporary
 *   AK/SK and a security token, which sign the ELB requests, renewed before they expire.
 */
import { PROJECT_ID } from '../domain/jobs.ts';
import type { Clock, Credentials } from '../domain/types.ts';
import { InputError } from '../errors.ts';
import { type Authorizer, akskAuthorizer, tokenAuthorizer } from './auth.ts';
import { ApiError, explain, type HttpClient, headerValue, ResponseFormatError } from './http.ts';

/** Temporary credentials as IAM returns them. */
export interface TemporaryCredentials {
  accessKey: string;
  secretKey: string;
  securityToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface OidcOptions {
  idpId: string;
  audience?: string;
  /** `core.getIDToken` in the action. */
  getIdToken(audience?: string): Promise<string>;
  /** IAM, reached without signing (the calls carry the ID token or the subject token). */
  iam: HttpClient;
  clock: Clock;
  /** Masks a secret the moment it exists. */
  setSecret(value: string): void;
  /** How long the action may wait: sizes the credentials' lifetime. */
  timeoutMs: number;
  /** Epoch ms after which no retry of an IAM call starts. */
  deadline: number;
  info?(message: string): void;
}

/** IAM accepts 15 minutes to 24 hours. */
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 86_400;
/** Renew this long before expiry, or a fifth of the lifetime when that is shorter. */
const RENEW_MARGIN_MS = 5 * 60_000;

/** Lifetime to ask for: the wait plus ten minutes, within IAM's bounds. */
export function durationSeconds(timeoutMs: number): number {
  return Math.min(MAX_DURATION_S, Math.max(MIN_DURATION_S, Math.ceil(timeoutMs / 1000) + 600));
}

const EXCHANGE_HINT =
  'Check the IAM identity provider: its type must be OpenID Connect with issuer ' +
  'https://token.actions.githubusercontent.com, its client ID must equal id_token_audience (or the default audience, ' +
  'https://github.com/<owner>), and its identity conversion rules must map this repository’s claims (for example ' +
  '`sub` or `repository`) to a user group that may read ELB.';

/** ID token -> IAM subject token -> temporary AK/SK with a security token. */
export async function exchange(opts: OidcOptions): Promise<TemporaryCredentials> {
  const jwt = await opts.getIdToken(opts.audience);
  opts.setSecret(jwt);
  const provider = `identity provider '${opts.idpId}'`;
  let subjectToken: string;
  try {
    const res = await opts.iam.send('POST', '/v3.0/OS-AUTH/id-token/tokens', {
      deadline: opts.deadline,
      headers: { 'X-Idp-Id': opts.idpId },
      body: { auth: { id_token: { id: jwt } } },
    });
    subjectToken = headerValue(res.headers['x-subject-token']);
  } catch (error) {
    throw error instanceof ApiError
      ? explain(error, `IAM refused the workflow's OIDC token (${provider})`, EXCHANGE_HINT)
      : error;
  }
  if (!subjectToken)
    throw new Error(`IAM accepted the OIDC token (${provider}) but sent no X-Subject-Token header`);
  opts.setSecret(subjectToken);

  let credential:
    | { access?: string; secret?: string; securitytoken?: string; expires_at?: string }
    | undefined;
  try {
    const res = await opts.iam.send('POST', '/v3.0/OS-CREDENTIAL/securitytokens', {
      deadline: opts.deadline,
      headers: { 'X-Auth-Token': subjectToken },
      body: {
        auth: {
          identity: { methods: ['token'], token: { duration_seconds: durationSeconds(opts.timeoutMs) } },
        },
      },
    });
    credential = (res.json as { credential?: typeof credential }).credential;
  } catch (error) {
    throw error instanceof ApiError
      ? explain(
          error,
          `IAM did not issue temporary credentials for the OIDC token (${provider})`,
          'The user group the conversion rules map to needs no extra permission for this call; check that the ' +
            'identity provider is enabled and that IAM is reachable at iam_endpoint.',
        )
      : error;
  }
  const { access, secret, securitytoken, expires_at } = credential ?? {};
  if (!access || !secret || !securitytoken) {
    throw new Error(
      'IAM answered the security token request without credential.access, secret and securitytoken',
    );
  }
  for (const value of [access, secret, securitytoken]) opts.setSecret(value);
  const expiresAt = Date.parse(expires_at ?? '');
  return {
    accessKey: access,
    secretKey: secret,
    securityToken: securitytoken,
    expiresAt: Number.isNaN(expiresAt) ? opts.clock.now() + MIN_DURATION_S * 1000 : expiresAt,
  };
}

/** Signs with temporary credentials from the OIDC exchange, fetching them on first use and renewing them in time. */
export function oidcAuthorizer(opts: OidcOptions): Authorizer {
  let current: { signer: Authorizer; renewAt: number } | undefined;
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    const creds = await exchange(opts);
    const obtained = opts.clock.now();
    const margin = Math.min(RENEW_MARGIN_MS, Math.max(0, creds.expiresAt - obtained) / 5);
    if (current) opts.info?.('Renewed the temporary credentials from the OIDC exchange before they expire');
    current = { signer: akskAuthorizer(creds), renewAt: creds.expiresAt - margin };
  };
  return {
    async authorize(request) {
      if (!current || opts.clock.now() >= current.renewAt) {
        pending ??= refresh().finally(() => {
          pending = undefined;
        });
        await pending;
      }
      if (!current) throw new Error('no temporary credentials after the OIDC exchange');
      return current.signer.authorize(request);
    },
  };
}

/**
 * The authorizer for the configured credentials: an IAM token, AK/SK, or the OIDC exchange (which needs the job to
 * be allowed an ID token).
 */
export function authorizerFor(
  credentials: Credentials,
  oidc: Omit<OidcOptions, 'idpId' | 'audience'> & { idTokenAvailable: boolean },
): Authorizer {
  if (credentials.kind === 'token') return tokenAuthorizer(credentials.authToken);
  if (credentials.kind === 'aksk') return akskAuthorizer(credentials);
  if (!oidc.idTokenAvailable) {
    throw new Error(
      'idp_id is set, but this job cannot request an OIDC ID token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). ' +
        'Add `permissions: id-token: write` to the workflow or the job; pull requests from forks never get one, ' +
        'so use repository secrets (access_key/secret_key) there.',
    );
  }
  return oidcAuthorizer({ ...oidc, idpId: credentials.idpId, audience: credentials.audience });
}

/** `GET {iam}/v3/projects?name=<region>`: the project ID of the region, when `project_id` is not given. */
export async function lookupProjectId(region: string, iam: HttpClient, deadline: number): Promise<string> {
  let body: { projects?: unknown[] } | null;
  try {
    body = (await iam.getJson('/v3/projects', [['name', region]], { deadline })) as typeof body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      throw explain(
        error,
        `IAM refused to list the projects of ${region} (needed because project_id is not set)`,
        'Set project_id (the console lists it under My Credentials > API Credentials) or grant the credentials ' +
          'permission to list projects (iam:projects:list).',
      );
    }
    throw error;
  }
  if (!Array.isArray(body?.projects)) {
    throw new ResponseFormatError({
      message: 'IAM project lookup answered without a "projects" array',
      status: 200,
      retryable: false,
    });
  }
  const projects = body.projects.filter(
    (p): p is { id?: unknown; name?: unknown } => typeof p === 'object' && p !== null,
  );
  const match = projects.find((p) => p.name === region) ?? projects[0];
  if (match?.id === undefined || match.id === null || match.id === '') {
    throw new InputError({
      input: 'project_id',
      problem: `IAM lists no project named '${region}' for these credentials; set project_id explicitly`,
      example: '0123456789abcdef0123456789abcdef',
    });
  }
  // The ID goes into every ELB request's path and X-Project-Id header: only a project ID's shape is used.
  if (typeof match.id !== 'string' || !PROJECT_ID.test(match.id)) {
    const what =
      typeof match.id === 'string'
        ? `${match.id.length} characters, not letters, digits and '-'`
        : `a ${typeof match.id}`;
    throw new ResponseFormatError({
      message: `IAM's project lookup for ${region} answered with a project ID that is not one (${what}); set project_id explicitly`,
      status: 200,
      retryable: false,
    });
  }
  return match.id;
}
