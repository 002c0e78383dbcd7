/**
 * The API gateway in front of the ELB job routes and IAM's project lookup: its authentication check
 * (an SDK-HMAC-SHA256 signature or an `X-Auth-Token`, verified by auth.ts) with the 401 it answers, and
 * its 404 for an API it does not know.
 */
import { type AuthOptions, type AuthResult, authenticate, type WireRequest } from './auth.ts';
import type { RecordedRequest, Reply } from './reply.ts';

/**
 * Authenticates a request as the gateway does and fills in the record's auth fields: undefined when it
 * passes, else the 401 `APIGW.0301` reply.
 */
export function gatewayCheck(
  request: WireRequest,
  options: AuthOptions,
  record: RecordedRequest,
): Reply | undefined {
  const auth: AuthResult = authenticate(request, options);
  record.auth = auth.kind;
  if ('accessKey' in auth && auth.accessKey !== undefined) record.accessKey = auth.accessKey;
  if (!auth.ok) {
    record.authError = auth.message;
    return { status: 401, body: { error_msg: auth.message, error_code: 'APIGW.0301' } };
  }
  record.authenticated = true;
  record.signatureVerified = auth.kind === 'aksk';
  return undefined;
}

/** The gateway's answer for a path (or a method on a known path) that no route serves. */
export function unknownApi(): Reply {
  const message = 'The API does not exist or has not been published in the environment';
  return { status: 404, body: { error_code: 'APIGW.0101', error_msg: message } };
}

/** The gateway's limit per user: `requests` per `perMs`, as a token bucket that starts full. */
export interface RateLimit {
  requests: number;
  perMs: number;
}

/**
 * Token buckets per credential (an AK, or an auth token), shared by every route behind the gateway, as Huawei's API
 * gateway throttles per user. An empty bucket answers 429 `APIGW.0308`, with no `Retry-After`.
 */
export class GatewayLimit {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limit: RateLimit) {
    this.#limit = limit;
  }

  /** Takes a token for `user` at `now`; the 429 reply when there is none. */
  take(user: string, now: number): Reply | undefined {
    const { requests, perMs } = this.#limit;
    const bucket = this.#buckets.get(user) ?? { tokens: requests, at: now };
    bucket.tokens = Math.min(requests, bucket.tokens + ((now - bucket.at) * requests) / perMs);
    bucket.at = now;
    this.#buckets.set(user, bucket);
    if (bucket.tokens < 1) {
      const minutes = perMs / 60_000;
      return {
        status: 429,
        body: {
          error_code: 'APIGW.0308',
          error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${requests},time:${minutes} minute`,
        },
      };
    }
    bucket.tokens -= 1;
    return undefined;
  }
}
