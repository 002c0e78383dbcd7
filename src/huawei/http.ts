import { type Dispatcher, errors as undiciErrors } from 'undici';
import type { Clock } from '../domain/types.ts';
import type { Authorizer } from './auth.ts';
import { DeadlineError, withRetry } from './retry.ts';

/** The API answered with an error status. Carries the API's own error fields. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly errorMsg: string;
  readonly requestId: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  /** Local clock minus the server's `Date` header, when the server sent one. */
  readonly clockSkewMs?: number;
  /** What to do next, when the caller knows better than the generic hints (e.g. an IAM exchange). */
  readonly hint?: string;
  constructor(init: {
    status: number;
    errorCode: string;
    errorMsg: string;
    requestId: string;
    retryAfterMs?: number;
    clockSkewMs?: number;
    hint?: string;
    message: string;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ApiError';
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.errorMsg = init.errorMsg;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.clockSkewMs = init.clockSkewMs;
    this.hint = init.hint;
    this.retryable = init.status === 429 || (init.status >= 500 && init.status !== 501);
  }
}

/** The same API error, told in the caller's words: what was being done, and what to do about it. */
export function explain(error: ApiError, doing: string, hint: string): ApiError {
  return new ApiError({ ...error, hint, message: `${doing}: ${error.message}`, cause: error });
}

/** No usable answer: connection refused or reset, a timeout, a body cut short. Worth another try. */
export class NetworkError extends Error {
  readonly retryable: boolean;
  /** `retryable: false` for what another try cannot fix, such as a TLS certificate that is not trusted. */
  constructor(init: { message: string; cause?: unknown; retryable?: boolean }) {
    super(init.message, { cause: init.cause });
    this.name = 'NetworkError';
    this.retryable = init.retryable ?? true;
  }
}

/** A 2xx answer whose body is not the JSON we expect. */
export class ResponseFormatError extends Error {
  readonly status: number;
  readonly requestId: string;
  readonly retryable: boolean;
  constructor(init: {
    message: string;
    status: number;
    requestId?: string;
    retryable: boolean;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ResponseFormatError';
    this.status = init.status;
    this.requestId = init.requestId ?? '';
    this.retryable = init.retryable;
  }
}

export interface RequestLog {
  method: string;
  path: string;
  query: string;
  status: number | 'error';
  requestId: string;
  ms: number;
}

export interface HttpClientOptions {
  /** Base URL, may carry a path prefix: `https://elb.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  authorizer: Authorizer;
  dispatcher: Dispatcher;
  requestTimeoutMs: number;
  clock: Clock;
  /** Replaces secret values in any text that leaves this module (error messages, excerpts). */
  redact: (text: string) => string;
  random?: () => number;
  signal?: AbortSignal;
  onRequest?: (log: RequestLog) => void;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  userAgent?: string;
  /** Largest response body read, in bytes; a longer one is an error. Default `MAX_BODY_BYTES`. */
  maxBodyBytes?: number;
  /** Retry HTTP 429 here (default); off for the ELB polls, whose schedule slows down instead. */
  retryThrottled?: boolean;
}

export type IncomingHttpHeaders = Record<string, string | string[] | undefined>;

export interface JsonResponse {
  json: unknown;
  headers: IncomingHttpHeaders;
}

export interface CallOptions {
  /** Extra headers, sent and (with AK/SK) signed. */
  headers?: Record<string, string>;
  /** Epoch ms after which no retry starts. */
  deadline: number;
}

const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 20_000;
const EXCERPT_CHARS = 200;
/** No answer of these APIs comes near this; a body past it (or one that never ends) is not read further. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** One JSON API reached through a shared dispatcher: signing, timeouts, error parsing, retries. */
export class HttpClient {
  readonly #opts: HttpClientOptions;
  readonly #base: URL;
  /** The endpoint's path prefix, without a trailing slash ('' for most endpoints). */
  readonly #prefix: string;

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    this.#base = new URL(opts.endpoint);
    // The prefix as given: the signer encodes each segment, so it gets the segments decoded (`/a%20b` goes out as
    // `/a%20b`, not `/a%2520b`).
    this.#prefix = this.#base.pathname.replace(/\/+$/, '').split('/').map(decodeSegment).join('/');
  }

  /** GET `path` (raw, unencoded) with `query` pairs; parses the JSON body, retrying what is worth retrying. */
  async getJson(path: string, query: Array<[string, string]>, options: CallOptions): Promise<unknown> {
    return (await this.send('GET', path, { ...options, query })).json;
  }

  /** Sends a request and parses its JSON answer, with the response headers; retries what is worth retrying. */
  async send(
    method: string,
    path: string,
    options: CallOptions & { query?: Array<[string, string]>; body?: unknown },
  ): Promise<JsonResponse> {
    const { clock, signal, onRetry } = this.#opts;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers =
      body === undefined
        ? (options.headers ?? {})
        : { 'Content-Type': 'application/json', ...options.headers };
    return withRetry(() => this.#once(method, path, options.query ?? [], headers, body, options.deadline), {
      clock,
      baseMs: RETRY_BASE_MS,
      capMs: RETRY_CAP_MS,
      deadline: options.deadline,
      random: this.#opts.random ?? Math.random,
      signal,
      onRetry,
      retryThrottled: this.#opts.retryThrottled,
    });
  }

  async #once(
    method: string,
    path: string,
    query: Array<[string, string]>,
    extra: Record<string, string>,
    body: string | undefined,
    deadline: number,
  ): Promise<JsonResponse> {
    const { authorizer, dispatcher, requestTimeoutMs, redact, signal } = this.#opts;
    // `timeout` is a hard bound: no request outlives the wait's deadline.
    const left = deadline - this.#opts.clock.now();
    if (left <= 0)
      throw new DeadlineError({ message: `${method} ${this.#prefix + path}: the timeout passed` });
    const limitMs = Math.ceil(Math.min(requestTimeoutMs, left));
    const byDeadline = limitMs < requestTimeoutMs;
    const fullPath = this.#prefix + path;
    const wire = await authorizer.authorize({
      method,
      host: this.#base.host,
      path: fullPath,
      query,
      headers: extra,
      body,
    });
    const queryText = wire.pathAndQuery.includes('?')
      ? wire.pathAndQuery.slice(wire.pathAndQuery.indexOf('?') + 1)
      : '';
    const timeout = AbortSignal.timeout(limitMs);
    // Date.now, not performance.now: the global `performance` loads perf_hooks, a cost at every cold start.
    const started = Date.now();
    const log = (status: number | 'error', requestId: string) =>
      this.#opts.onRequest?.({
        method,
        path: fullPath,
        query: queryText,
        status,
        requestId,
        ms: Date.now() - started,
      });

    let status: number;
    let requestId = '';
    let text: string;
    let responseHeaders: IncomingHttpHeaders;
    try {
      // dispatcher.request, not undici's request(url): the path goes out exactly as signed, never re-parsed.
      const res = await dispatcher.request({
        origin: this.#base.origin,
        path: wire.pathAndQuery,
        method: method as Dispatcher.HttpMethod,
        body,
        headers: {
          Accept: 'application/json',
          'User-Agent': this.#opts.userAgent ?? 'elb-job-wait',
          ...wire.headers,
        },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = res.statusCode;
      requestId = headerValue(res.headers['x-request-id']);
      responseHeaders = res.headers;
      text = await readBody(res, this.#opts.maxBodyBytes ?? MAX_BODY_BYTES);
    } catch (error) {
      log('error', requestId);
      if (signal?.aborted)
        throw new NetworkError({ message: `${method} ${fullPath} cancelled`, cause: error });
      if (error instanceof ResponseFormatError) throw error;
      if (timeout.aborted && byDeadline) {
        throw new DeadlineError({
          message: `${method} ${fullPath}: no complete answer before the timeout passed`,
          cause: error,
        });
      }
      if (timeout.aborted) {
        throw new NetworkError({
          message: `${method} ${fullPath}: no complete answer within request_timeout (${requestTimeoutMs} ms)`,
          cause: error,
        });
      }
      const tls = tlsProblem(error, this.#base.host);
      if (tls)
        throw new NetworkError({ message: `${method} ${fullPath}: ${tls}`, cause: error, retryable: false });
      throw new NetworkError({
        message: `${method} ${fullPath}: ${describeNetworkError(error)}`,
        cause: error,
      });
    }
    log(status, requestId);

    if (status < 200 || status >= 300) {
      throw parseApiError(
        status,
        text,
        {
          requestId,
          retryAfter: headerValue(responseHeaders['retry-after']) || undefined,
          date: headerValue(responseHeaders.date) || undefined,
        },
        redact,
        this.#opts.clock.now(),
      );
    }
    if (text.trim() === '') {
      throw new ResponseFormatError({
        message: `HTTP ${status} with an empty body (request ID ${requestId || 'none'})`,
        status,
        requestId,
        retryable: true,
      });
    }
    try {
      return { json: JSON.parse(text), headers: responseHeaders };
    } catch {
      throw new ResponseFormatError({
        message: `HTTP ${status} with a body that is not JSON (request ID ${requestId || 'none'}): ${excerpt(text, redact)}`,
        status,
        requestId,
        retryable: true,
      });
    }
  }
}

/** Reads a body up to `max` bytes; past that the connection is dropped and the answer is an error. */
async function readBody(res: Dispatcher.ResponseData, max: number): Promise<string> {
  const declared = Number(headerValue(res.headers['content-length']));
  const tooLong = () => {
    res.body.destroy();
    return new ResponseFormatError({
      message: `HTTP ${res.statusCode} with a body over ${Math.round(max / 1024 / 1024)} MiB; not read further`,
      status: res.statusCode,
      requestId: headerValue(res.headers['x-request-id']),
      retryable: false,
    });
  };
  if (declared > max) throw tooLong();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLong();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** A short, single-line, credential-free piece of a body for error messages. */
export function excerpt(text: string, redact: (t: string) => string): string {
  // Only the start can be shown: redact a bounded piece (a secret cut at its end is past what is shown).
  const flat = redact(text.slice(0, EXCERPT_CHARS * 8))
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Huawei error bodies: `{error_code, error_msg, request_id}`, or nested `{error: {code, message}}`. */
export function parseApiError(
  status: number,
  text: string,
  headers: { requestId: string; retryAfter?: string; date?: string },
  redact: (t: string) => string,
  now: number,
): ApiError {
  let errorCode = '';
  let errorMsg = '';
  let requestId = headers.requestId;
  try {
    const parsed: unknown = JSON.parse(text);
    const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const nested = (typeof body.error === 'object' && body.error !== null ? body.error : {}) as Record<
      string,
      unknown
    >;
    // Only text: an error field of another type says nothing the status does not.
    const str = (...values: unknown[]) => {
      const v = values.find((x) => typeof x === 'string' || typeof x === 'number');
      return v === undefined ? '' : String(v);
    };
    errorCode = str(body.error_code, nested.code);
    errorMsg = str(body.error_msg, nested.message);
    requestId = str(body.request_id, nested.request_id) || headers.requestId;
    if (typeof parsed !== 'object' || parsed === null) errorMsg = excerpt(text, redact);
  } catch {
    errorMsg = text.trim() ? excerpt(text, redact) : '';
  }
  errorMsg = redact(errorMsg);
  const what = [errorCode, errorMsg].filter(Boolean).join(': ') || 'no error details in the body';
  const serverTime = headers.date ? Date.parse(headers.date) : Number.NaN;
  return new ApiError({
    status,
    errorCode,
    errorMsg,
    requestId,
    retryAfterMs: parseRetryAfter(headers.retryAfter, now),
    clockSkewMs: Number.isNaN(serverTime) ? undefined : now - serverTime,
    message: `HTTP ${status} ${what} (request ID ${requestId || 'none'})`,
  });
}

/** OpenSSL's and Node's codes for a certificate that does not verify. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What a TLS failure means for the user, when retrying cannot fix it; undefined for other errors. */
function tlsProblem(error: unknown, host: string): string | undefined {
  const err = error as { code?: string; cause?: { code?: string } };
  const codes = [err.code, err.cause?.code];
  // undici's SecureProxyConnectionError: the TLS connection to an https:// proxy failed.
  const who = codes.includes('UND_ERR_PRX_TLS') ? 'the proxy (HTTPS_PROXY)' : host;
  if (codes.includes('ERR_SSL_WRONG_VERSION_NUMBER')) {
    return (
      `${who} did not answer in TLS (ERR_SSL_WRONG_VERSION_NUMBER). Check that \`endpoint\` is the HTTPS address ` +
      'of the service, and HTTPS_PROXY and NO_PROXY if a proxy is in the way.'
    );
  }
  const code = codes.find((c) => c !== undefined && CERTIFICATE_CODES.has(c));
  if (code) {
    return (
      `the TLS certificate of ${who} is not trusted (${code}). Behind a proxy that inspects TLS, give Node the ` +
      "proxy's CA certificate with the NODE_EXTRA_CA_CERTS environment variable."
    );
  }
  return undefined;
}

function describeNetworkError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return 'the server was too slow to answer';
  }
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset before a full answer';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return 'host name not found (check `endpoint` or `region`)';
  return err.message ?? err.cause?.message ?? String(error);
}
