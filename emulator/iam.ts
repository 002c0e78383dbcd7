/**
 * The pieces of keyless (OIDC) auth that the emulator serves next to ELB: a stand-in for the runner's
 * ID-token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`), IAM's ID-token exchange and IAM's temporary
 * credentials. This module holds the data types and pure helpers; `id-token.ts` (the runner stand-in) and
 * `iam-routes.ts` (IAM's routes) serve the requests.
 * Nothing here is real cryptography: the "JWT" signature is random bytes, and a token is valid only
 * because the emulator remembers minting it.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** `ElbEmulatorOptions.oidc`. */
export interface EmulatorOidcOptions {
  /** The IAM identity provider accepted in `X-Idp-Id`. */
  idpId: string;
  /** When set, the ID token's `aud` must equal it. */
  audience?: string;
  /** The `ACTIONS_ID_TOKEN_REQUEST_TOKEN` the runner stand-in accepts (as `Authorization: Bearer ...`). */
  requestToken: string;
  /** Caps the lifetime of issued temporary credentials (to test renewal). Default: the lifetime asked for. */
  credentialLifetimeMs?: number;
}

/** The claims of an ID token minted by the runner stand-in (times in epoch seconds). */
export interface IdTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  repository: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface MintedIdToken {
  /** `base64url(header).base64url(claims).base64url(fake signature)`, as served in `{"value": ...}`. */
  jwt: string;
  claims: IdTokenClaims;
}

/** A token from `POST /v3.0/OS-AUTH/id-token/tokens` (sent back in `X-Subject-Token`). */
export interface IssuedSubjectToken {
  token: string;
  idpId: string;
  /** The `jti` of the ID token it was exchanged for. */
  jti: string;
  /** Emulator clock (ms). */
  issuedAt: number;
  expiresAt: number;
}

/** Temporary credentials from `POST /v3.0/OS-CREDENTIAL/securitytokens` (field names as IAM's response). */
export interface IssuedCredential {
  access: string;
  secret: string;
  securitytoken: string;
  /** Emulator clock (ms): the credentials are accepted while `now() < expiresAt`. */
  expiresAt: number;
  issuedAt: number;
  /** `duration_seconds` as asked (or the default 900). */
  durationSeconds: number;
}

export const ID_TOKEN_ISSUER = 'https://token.actions.githubusercontent.com';
export const DEFAULT_ID_TOKEN_AUDIENCE = 'https://github.com/example';
export const ID_TOKEN_SUBJECT = 'repo:example/app:ref:refs/heads/main';
export const ID_TOKEN_REPOSITORY = 'example/app';
export const ID_TOKEN_LIFETIME_S = 300;
export const SUBJECT_TOKEN_LIFETIME_MS = 24 * 3600_000;
export const MIN_DURATION_S = 900;
export const MAX_DURATION_S = 86_400;
export const DEFAULT_DURATION_S = 900;

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** Mints an ID token the way the runner's token service shapes one (with a fake signature). */
export function mintIdToken(nowMs: number, audience: string): MintedIdToken {
  const iat = Math.floor(nowMs / 1000);
  const claims: IdTokenClaims = {
    iss: ID_TOKEN_ISSUER,
    aud: audience,
    sub: ID_TOKEN_SUBJECT,
    repository: ID_TOKEN_REPOSITORY,
    iat,
    exp: iat + ID_TOKEN_LIFETIME_S,
    jti: randomUUID(),
  };
  const header = { typ: 'JWT', alg: 'RS256', kid: 'elb-emulator' };
  const jwt = [
    base64url(JSON.stringify(header)),
    base64url(JSON.stringify(claims)),
    base64url(randomBytes(64)),
  ].join('.');
  return { jwt, claims };
}

/** The claims (second part) of a JWT, or undefined when it is not `a.b.c` with JSON-object claims. */
export function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** IAM's time format, e.g. `2024-03-23T08:20:42.000000Z` (microseconds). */
export function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = `${UPPER_DIGITS}abcdefghijklmnopqrstuvwxyz`;

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** Fresh, obviously fake temporary credentials: a 20-character AK, a 40-character SK, a long token. */
export function newTemporaryCredential(
  nowMs: number,
  lifetimeMs: number,
  durationSeconds: number,
): IssuedCredential {
  return {
    access: `EMUTEMP${randomFrom(UPPER_DIGITS, 13)}`,
    secret: `emu${randomFrom(ALNUM, 37)}`,
    securitytoken: `emu-security-token-${randomBytes(96).toString('base64url')}`,
    issuedAt: nowMs,
    expiresAt: nowMs + lifetimeMs,
    durationSeconds,
  };
}

/** A fresh opaque subject token (what IAM returns in `X-Subject-Token`). */
export function newSubjectToken(): string {
  return `emu-federated-token-${randomBytes(48).toString('base64url')}`;
}

const IAM_ERRORS: Record<number, { code: string; title: string }> = {
  400: { code: 'IAM.0011', title: 'Bad Request' },
  401: { code: 'IAM.0001', title: 'Unauthorized' },
  403: { code: 'IAM.0002', title: 'Forbidden' },
  404: { code: 'IAM.0004', title: 'Not Found' },
  429: { code: 'IAM.0010', title: 'Too Many Requests' },
  500: { code: 'IAM.0006', title: 'Internal Server Error' },
  502: { code: 'IAM.0006', title: 'Bad Gateway' },
  503: { code: 'IAM.0006', title: 'Service Unavailable' },
  504: { code: 'IAM.0006', title: 'Gateway Timeout' },
};

/** IAM's nested error body `{"error":{"code","message","title"}}` (codes illustrative). */
export function iamError(
  status: number,
  message: string,
): { error: { code: string; message: string; title: string } } {
  const known = IAM_ERRORS[status];
  return {
    error: {
      code: known?.code ?? `IAM.${status}`,
      message,
      title: known?.title ?? 'Error',
    },
  };
}

/** The default body of a `status` fault on an IAM route. */
export function defaultIamFaultBody(status: number): ReturnType<typeof iamError> {
  const messages: Record<number, string> = {
    429: 'The throttling threshold has been reached.',
    500: 'An unexpected error prevented the server from fulfilling your request.',
    502: 'An unexpected error prevented the server from fulfilling your request.',
    503: 'The service is currently unavailable.',
    504: 'The request timed out.',
    401: 'The request you have made requires authentication: injected fault',
    403: 'You are not authorized to perform the requested action.',
  };
  return iamError(status, messages[status] ?? `Injected fault ${status}`);
}
