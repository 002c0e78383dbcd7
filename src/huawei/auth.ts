import { canonicalQuery, encodePath, type SignInput, signRequest } from './signer.ts';

/** Turns a request into what goes on the wire: the encoded path and query, and the auth headers. */
export interface Authorizer {
  authorize(request: SignInput): WireRequest | Promise<WireRequest>;
}

export interface WireRequest {
  pathAndQuery: string;
  headers: Record<string, string>;
}

export interface AkSk {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

/** SDK-HMAC-SHA256 signing; a security token is sent as X-Security-Token and signed. */
export function akskAuthorizer(key: AkSk, now: () => Date = () => new Date()): Authorizer {
  return {
    authorize(request) {
      const headers = key.securityToken
        ? { ...request.headers, 'X-Security-Token': key.securityToken }
        : request.headers;
      const signed = signRequest({ ...request, headers }, key, now());
      return { pathAndQuery: signed.pathAndQuery, headers: signed.headers };
    },
  };
}

/** Nothing signed, nothing added: for calls that carry their own credential (an ID token, a subject token). */
export const plainAuthorizer: Authorizer = {
  authorize(request) {
    const query = canonicalQuery(request.query ?? []);
    return {
      pathAndQuery: encodePath(request.path) + (query ? `?${query}` : ''),
      headers: { ...request.headers },
    };
  },
};

/** An IAM token sent as X-Auth-Token; nothing is signed. */
export function tokenAuthorizer(token: string): Authorizer {
  return {
    authorize(request) {
      return plainAuthorizer.authorize({
        ...request,
        headers: { ...request.headers, 'X-Auth-Token': token },
      });
    },
  };
}
