/**
 * Verifies requests as Huawei's API gateway does (SDK-HMAC-SHA256 or X-Auth-Token), rebuilding the
 * canonical request from what came over the wire. The canonicalisation is delegated to the official
 * Node SDK's static helpers (`@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js`), an oracle
 * independent of the action's own signer (which this module must never import).
 */
import { createRequire } from 'node:module';

/** The static helpers of the SDK's AKSKSigner that we use (protected in its .d.ts, public at runtime). */
export interface SdkAkskSigner {
  sign(request: SdkSignRequest, credential: { getAk(): string; getSk(): string }): Record<string, string>;
  CanonicalURI(path: string): string;
  CanonicalQueryString(request: { queryParams: Record<string, string | string[]> }): string;
  urlEncode(value: string): string;
  buildCanonicalRequest(
    method: string,
    canonicalURI: string,
    canonicalQueryString: string,
    canonicalHeaders: string,
    signedHeaderNames: string,
    payloadHash: string,
  ): string;
  getStringToSign(algorithm: string, dateTimeStamp: string, canonicalRequestHash: string): string;
  Hex(value: string | Uint8Array): string;
  hmacSHA256(secretKey: string, value: string): string;
}

/** The request shape `AKSKSigner.sign` reads. */
export interface SdkSignRequest {
  endpoint: string;
  method: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string | string[]>;
  data?: unknown;
}

const require = createRequire(import.meta.url);
export const AKSKSigner: SdkAkskSigner = (
  require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js') as { AKSKSigner: SdkAkskSigner }
).AKSKSigner;

export const ALGORITHM = 'SDK-HMAC-SHA256';
export const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

export interface EmulatorCredential {
  accessKey: string;
  secretKey: string;
  /** When set, requests with this AK must send it as `X-Security-Token`, signed. */
  securityToken?: string;
  /**
   * Epoch ms (on the emulator clock) from which this temporary key is rejected with "the security
   * token has expired". Undefined: never expires.
   */
  expiresAtMs?: number;
}

/** A request as received: method, the raw URL (path and query as sent), headers, body bytes. */
export interface WireRequest {
  method: string;
  url: string;
  /** Header names in lower case (as node:http gives them). */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export type AuthResult =
  | { ok: true; kind: 'aksk'; accessKey: string; canonicalRequest: string }
  | { ok: true; kind: 'token' }
  | {
      ok: false;
      kind: 'aksk' | 'token' | 'none';
      message: string;
      accessKey?: string;
      canonicalRequest?: string;
    };

function headerValue(headers: WireRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Canonical URI: split on '/', each segment percent-decoded then re-encoded by the SDK, ending '/'. */
export function canonicalUri(rawPath: string): string {
  const segments = rawPath.split('/').map(decodeSegment);
  if (segments.some((s) => s.includes('/'))) {
    // An encoded '/' inside a segment: encode segment by segment (CanonicalURI would split it).
    const joined = segments.map((s) => AKSKSigner.urlEncode(s)).join('/');
    return joined.endsWith('/') ? joined : `${joined}/`;
  }
  return AKSKSigner.CanonicalURI(segments.join('/')) ?? '/';
}

/** The query's decoded pairs, repeated keys gathered into arrays (the SDK's `queryParams` shape). */
export function queryParams(rawQuery: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const previous = params[key];
    if (previous === undefined) params[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else params[key] = [previous, value];
  }
  return params;
}

export function canonicalQuery(rawQuery: string): string {
  return AKSKSigner.CanonicalQueryString({ queryParams: queryParams(rawQuery) });
}

/**
 * The canonical request for `signedHeaders` (as listed in the Authorization header, ';'-separated),
 * taking each listed header's value as received, trimmed, in the listed order.
 */
export function canonicalRequest(request: WireRequest, signedHeaders: string): string {
  const q = request.url.indexOf('?');
  const rawPath = q === -1 ? request.url : request.url.slice(0, q);
  const rawQuery = q === -1 ? '' : request.url.slice(q + 1);
  let headers = '';
  for (const name of signedHeaders.split(';')) {
    headers += `${name.toLowerCase()}:${(headerValue(request.headers, name) ?? '').trim()}\n`;
  }
  const payloadHash = headerValue(request.headers, 'x-sdk-content-sha256') ?? AKSKSigner.Hex(request.body);
  return AKSKSigner.buildCanonicalRequest(
    request.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    headers,
    signedHeaders,
    payloadHash,
  );
}

/** `hex(HMAC-SHA256(sk, "SDK-HMAC-SHA256\n<date>\nhex(sha256(canonicalRequest))"))`. */
export function signatureFor(canonical: string, sdkDate: string, secretKey: string): string {
  const stringToSign = AKSKSigner.getStringToSign(ALGORITHM, sdkDate, AKSKSigner.Hex(canonical));
  return AKSKSigner.hmacSHA256(secretKey, stringToSign);
}

/** `{ Access, SignedHeaders, Signature }` of an `SDK-HMAC-SHA256 ...` header, or an error text. */
export function parseAuthorization(
  value: string,
): { access: string; signedHeaders: string; signature: string } | string {
  const match = /^\s*(\S+)\s+(.*)$/s.exec(value);
  if (match === null) return 'the Authorization header is malformed';
  if (match[1] !== ALGORITHM) return `unsupported signing algorithm ${match[1]}`;
  const fields = new Map<string, string>();
  for (const part of (match[2] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const access = fields.get('Access');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!access || !signedHeaders || !signature) {
    return 'the Authorization header lacks Access, SignedHeaders or Signature';
  }
  return { access, signedHeaders, signature };
}

/** `20191115T033655Z` -> epoch ms, or undefined when malformed. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return ms;
}

const PREFIX = 'Incorrect IAM authentication information: ';

export interface AuthOptions {
  credentials: readonly EmulatorCredential[];
  authTokens: readonly string[];
  nowMs: number;
  maxSkewMs: number;
}

/** Authenticates a request: a valid `X-Auth-Token`, else a valid AK/SK signature. */
export function authenticate(request: WireRequest, options: AuthOptions): AuthResult {
  const token = headerValue(request.headers, 'x-auth-token');
  if (token !== undefined) {
    if (options.authTokens.includes(token)) return { ok: true, kind: 'token' };
    return { ok: false, kind: 'token', message: `${PREFIX}the X-Auth-Token is invalid or has expired` };
  }
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined) {
    return { ok: false, kind: 'none', message: `${PREFIX}no Authorization or X-Auth-Token header` };
  }
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') return { ok: false, kind: 'aksk', message: PREFIX + parsed };
  const accessKey = parsed.access;
  const canonical = canonicalRequest(request, parsed.signedHeaders);
  const suffix = `canonicalRequest: ${canonical.replaceAll('\n', '|')}`;
  const reject = (message: string): AuthResult => ({
    ok: false,
    kind: 'aksk',
    accessKey,
    canonicalRequest: canonical,
    message: `${PREFIX}${message}, ${suffix}`,
  });
  const fail = (reason: string): AuthResult => reject(`verify aksk signature fail, ${reason}`);
  const credential = options.credentials.find((c) => c.accessKey === accessKey);
  if (credential === undefined) return reject('the access key (AK) does not exist');
  const signed = parsed.signedHeaders.split(';').map((n) => n.toLowerCase());
  const sdkDate = headerValue(request.headers, 'x-sdk-date');
  const dateMs = sdkDate === undefined ? undefined : parseSdkDate(sdkDate.trim());
  if (sdkDate === undefined || dateMs === undefined) {
    return fail('the X-Sdk-Date header is missing or not in the yyyyMMddTHHmmssZ format');
  }
  if (Math.abs(options.nowMs - dateMs) > options.maxSkewMs) {
    return reject(
      `the request has expired: X-Sdk-Date ${sdkDate.trim()} is more than ` +
        `${Math.round(options.maxSkewMs / 60_000)} minutes from the server time ${new Date(options.nowMs).toISOString()}`,
    );
  }
  for (const name of ['host', 'x-sdk-date']) {
    if (!signed.includes(name)) return fail(`the header ${name} must be signed`);
  }
  for (const name of ['x-project-id', 'x-security-token']) {
    if (headerValue(request.headers, name) !== undefined && !signed.includes(name)) {
      return fail(`the header ${name} is sent but not signed`);
    }
  }
  const sentToken = headerValue(request.headers, 'x-security-token');
  if (credential.securityToken !== undefined && sentToken?.trim() !== credential.securityToken) {
    return reject('the X-Security-Token of this temporary access key is missing or invalid');
  }
  if (credential.expiresAtMs !== undefined && options.nowMs >= credential.expiresAtMs) {
    return reject(
      `the security token has expired: it expired at ${new Date(credential.expiresAtMs).toISOString()}, ` +
        `the server time is ${new Date(options.nowMs).toISOString()}`,
    );
  }
  if (credential.securityToken === undefined && sentToken !== undefined) {
    return reject('an X-Security-Token was sent with a permanent access key');
  }
  const expected = signatureFor(canonical, sdkDate.trim(), credential.secretKey);
  if (expected !== parsed.signature.toLowerCase()) return fail('the signature does not match');
  return { ok: true, kind: 'aksk', accessKey, canonicalRequest: canonical };
}
