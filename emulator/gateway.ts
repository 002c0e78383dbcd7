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
