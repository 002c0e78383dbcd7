/**
 * The stand-in for the runner's ID-token endpoint (what `ACTIONS_ID_TOKEN_REQUEST_URL` points at):
 * `GET /_actions/id-token?api-version=2.0[&audience=...]` with `Authorization: Bearer <oidc.requestToken>`
 * answers `{"value":"<jwt>"}`, a token minted by iam.ts and remembered so that IAM's exchange accepts it.
 */
import { queryParams } from './auth.ts';
import {
  DEFAULT_ID_TOKEN_AUDIENCE,
  type EmulatorOidcOptions,
  type MintedIdToken,
  mintIdToken,
} from './iam.ts';
import type { RecordedRequest, Reply, RouteSteps } from './reply.ts';

export class IdTokenStandIn {
  private readonly oidc: EmulatorOidcOptions | undefined;
  private readonly minted: MintedIdToken[];

  /** `minted`: the list every minted token is appended to (the emulator's `mintedIdTokens`). */
  constructor(oidc: EmulatorOidcOptions | undefined, minted: MintedIdToken[]) {
    this.oidc = oidc;
    this.minted = minted;
  }

  /** `GET /_actions/id-token?api-version=2.0[&audience=...]` with `Authorization: Bearer <requestToken>`. */
  steps(record: RecordedRequest, headers: Record<string, string>, query: string, now: number): RouteSteps {
    const fail = (status: number, message: string): Reply => ({ status, body: { message }, raw: true });
    return {
      check: () => {
        const deny = (message: string): Reply => {
          record.authError = message;
          return fail(401, message);
        };
        const authorization = headers.authorization;
        if (authorization === undefined) {
          return deny('No Authorization header: send Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>');
        }
        record.auth = 'bearer';
        const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
        if (bearer === null) return deny('The Authorization header is not a Bearer token');
        if (this.oidc === undefined)
          return deny('No ID token can be requested: the emulator has no oidc option');
        if (bearer[1] !== this.oidc.requestToken) {
          return deny('The bearer token is not the ACTIONS_ID_TOKEN_REQUEST_TOKEN');
        }
        record.authenticated = true;
        return undefined;
      },
      serve: () => {
        const params = queryParams(query);
        const version = params['api-version'];
        if (version !== '2.0') {
          return fail(400, `api-version must be given once, as 2.0 (got ${JSON.stringify(version ?? null)})`);
        }
        const audience = params.audience;
        if (Array.isArray(audience)) return fail(400, 'audience must be given at most once');
        const minted = mintIdToken(now, audience || DEFAULT_ID_TOKEN_AUDIENCE);
        this.minted.push(minted);
        return { status: 200, body: { value: minted.jwt }, raw: true };
      },
    };
  }
}
