/**
 * Huawei Cloud API Gateway request signing, SDK-HMAC-SHA256 ("AK/SK signing").
 *
 * Canonical request:
 *   METHOD \n CANONICAL_URI \n CANONICAL_QUERY \n CANONICAL_HEADERS \n SIGNED_HEADER_NAMES \n hex(sha256(body))
 * String to sign:   SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical request))
 * Signature:        hex(HMAC-SHA256(key = SK, string to sign))
 *
 * Only `node:crypto` is used, so the module bundles into the action without extra code.
 */
import { createHash, createHmac } from 'node:crypto';

export interface SignInput {
  /** HTTP method, signed as given (e.g. 'GET'). */
  method: string;
  /** Exactly the Host header that will be sent, e.g. 'elb.cn-north-4.myhuaweicloud.com' or '127.0.0.1:8123'. */
  host: string;
  /** Raw (not percent-encoded) path starting with '/'. Segments may hold any character except '/'. */
  path: string;
  /** Raw (not encoded) query pairs; repeated keys are allowed. */
  query?: ReadonlyArray<readonly [string, string]>;
  /** Extra headers to send AND sign, e.g. X-Project-Id, X-Security-Token, Content-Type. */
  headers?: Readonly<Record<string, string>>;
  /** Request body; default ''. */
  body?: string;
}

export interface SigningKey {
  accessKey: string;
  secretKey: string;
}

export interface SignedRequest {
  /** Encoded path (no trailing slash added) + '?' + canonical query ('?' omitted when the query is empty). */
  pathAndQuery: string;
  /** Headers to send: the extra headers (values trimmed), 'X-Sdk-Date' and 'Authorization'. Not Host. */
  headers: Record<string, string>;
  /** The canonical request, for debugging and tests. Never contains the secret key. */
  canonicalRequest: string;
}

const ALGORITHM = 'SDK-HMAC-SHA256';
const DATE_HEADER = 'X-Sdk-Date';
const AUTHORIZATION_HEADER = 'Authorization';

/** Header names the signer sets itself (or that would change what the gateway hashes). */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'x-sdk-date',
  'authorization',
  'x-sdk-content-sha256',
]);

/** RFC 9110 token: the characters allowed in a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters that cannot be sent in a header value. */
const BAD_HEADER_VALUE = /[\r\n\0]/;
/**
 * A Host value: RFC 3986 host (reg-name, IPv4 or [IPv6]) and optional port, ASCII only (an HTTP client would send
 * an internationalised name as punycode, which is not what would have been signed).
 */
const HOST = /^[A-Za-z0-9\-._~!$&'()*+,;=%:[\]]+$/;

/** With the `u` flag a well-formed surrogate pair is one astral code point, so this only finds unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;
const ONLY_UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** 1 for the bytes kept as they are: A-Z a-z 0-9 - _ . ~ */
const UNRESERVED_BYTE = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const c = String.fromCharCode(b);
  UNRESERVED_BYTE[b] = b < 0x80 && ONLY_UNRESERVED.test(c) ? 1 : 0;
}
const PERCENT_BYTE: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
);
const utf8 = new TextEncoder();

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** UTC `YYYYMMDDTHHMMSSZ`, e.g. '20191115T033655Z'. Throws a RangeError for an invalid date or a year outside 0-9999. */
export function formatSdkDate(d: Date): string {
  if (!Number.isFinite(d.getTime())) {
    throw new RangeError('formatSdkDate: invalid date');
  }
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new RangeError(`formatSdkDate: year ${year} cannot be written as YYYY`);
  }
  return (
    pad(year, 4) +
    pad(d.getUTCMonth() + 1, 2) +
    pad(d.getUTCDate(), 2) +
    'T' +
    pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) +
    pad(d.getUTCSeconds(), 2) +
    'Z'
  );
}

/**
 * Percent-encodes every UTF-8 byte except A-Z a-z 0-9 - _ . ~ with uppercase hex (space -> %20, '/' -> %2F).
 * Throws a TypeError for a string with an unpaired UTF-16 surrogate (it has no UTF-8 form).
 */
export function encodeSegment(s: string): string {
  if (ONLY_UNRESERVED.test(s)) return s;
  if (LONE_SURROGATE.test(s)) {
    throw new TypeError('cannot percent-encode a string that holds an unpaired UTF-16 surrogate');
  }
  let out = '';
  for (const byte of utf8.encode(s)) {
    out += UNRESERVED_BYTE[byte] === 1 ? String.fromCharCode(byte) : PERCENT_BYTE[byte];
  }
  return out;
}

/**
 * Canonical query string: pairs sorted by raw key, then by raw value (JavaScript's default string order, UTF-16
 * code units, as the official Node SDK sorts them), each written `encode(key)=encode(value)`, joined with '&'.
 */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return [...pairs]
    .sort(([ka, va], [kb, vb]) => {
      if (ka !== kb) return ka < kb ? -1 : 1;
      if (va !== vb) return va < vb ? -1 : 1;
      return 0;
    })
    .map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`)
    .join('&');
}

/**
 * Wire form of a raw path: each '/'-separated segment encoded with {@link encodeSegment}; no slash is added.
 * Throws a TypeError when the path does not start with '/' or has a '.' or '..' segment (HTTP clients and
 * servers resolve those, so the path that arrives would not be the path that was signed).
 */
export function encodePath(path: string): string {
  if (!path.startsWith('/')) {
    throw new TypeError(`path must start with '/': ${JSON.stringify(path)}`);
  }
  return path
    .split('/')
    .map((segment) => {
      if (segment === '.' || segment === '..') {
        throw new TypeError(
          `path has a '${segment}' segment, which cannot be sent as is: ${JSON.stringify(path)}`,
        );
      }
      return encodeSegment(segment);
    })
    .join('/');
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

interface HeaderEntry {
  /** Lowercase name, as signed. */
  lower: string;
  /** Name as given, as sent. */
  name: string;
  /** Trimmed value, as signed and sent. */
  value: string;
}

function extraHeaders(headers: Readonly<Record<string, string>>): HeaderEntry[] {
  const entries: HeaderEntry[] = [];
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      throw new TypeError(`header ${name} is set by the signer and cannot be given`);
    }
    if (seen.has(lower)) {
      throw new TypeError(`header ${name} is given twice (header names are case-insensitive)`);
    }
    seen.add(lower);
    if (typeof raw !== 'string') {
      throw new TypeError(`header ${name}: value must be a string`);
    }
    // The value is not quoted in the message: it may be a credential (X-Security-Token).
    if (BAD_HEADER_VALUE.test(raw)) {
      throw new TypeError(`header ${name}: value contains a line break or NUL`);
    }
    entries.push({ lower, name, value: raw.trim() });
  }
  return entries;
}

/**
 * Signs a request with SDK-HMAC-SHA256 at time `now`. The returned headers must be sent with the request,
 * together with the Host header `input.host`, to `pathAndQuery`.
 */
export function signRequest(input: SignInput, key: SigningKey, now: Date): SignedRequest {
  if (!HOST.test(input.host)) {
    throw new TypeError(`invalid host ${JSON.stringify(input.host)}`);
  }
  if (!HEADER_NAME.test(input.method)) {
    throw new TypeError(`invalid method ${JSON.stringify(input.method)}`);
  }
  const date = formatSdkDate(now);
  const extras = extraHeaders(input.headers ?? {});

  const wirePath = encodePath(input.path);
  const canonicalUri = wirePath.endsWith('/') ? wirePath : `${wirePath}/`;
  const query = canonicalQuery(input.query ?? []);

  const signed: Array<readonly [string, string]> = [
    ['host', input.host],
    ['x-sdk-date', date],
    ...extras.map((h) => [h.lower, h.value] as const),
  ];
  // Header names are ASCII tokens, so code-unit order is byte order.
  signed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = signed.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedNames = signed.map(([name]) => name).join(';');

  const canonicalRequest = [
    input.method,
    canonicalUri,
    query,
    canonicalHeaders,
    signedNames,
    sha256Hex(input.body ?? ''),
  ].join('\n');
  const stringToSign = `${ALGORITHM}\n${date}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', key.secretKey).update(stringToSign, 'utf8').digest('hex');

  // fromEntries defines own properties, so even a header named '__proto__' stays a plain header.
  const headers: Record<string, string> = Object.fromEntries([
    ...extras.map((h) => [h.name, h.value] as const),
    [DATE_HEADER, date],
    [
      AUTHORIZATION_HEADER,
      `${ALGORITHM} Access=${key.accessKey}, SignedHeaders=${signedNames}, Signature=${signature}`,
    ],
  ]);

  return {
    pathAndQuery: query === '' ? wirePath : `${wirePath}?${query}`,
    headers,
    canonicalRequest,
  };
}
