/**
 * IAM's routes as the emulator serves them: the project lookup `GET /v3/projects?name=` (behind the
 * gateway's auth, as ELB's routes), the OIDC ID-token exchange `POST /v3.0/OS-AUTH/id-token/tokens` and
 * temporary credentials `POST /v3.0/OS-CREDENTIAL/securitytokens`. The data types, token minting and error
 * bodies are iam.ts's; the tokens and credentials issued here are appended to the emulator's lists.
 */
import { type EmulatorCredential, queryParams } from './auth.ts';
import {
  DEFAULT_DURATION_S,
  type EmulatorOidcOptions,
  type IssuedCredential,
  type IssuedSubjectToken,
  iamError,
  iamTime,
  MAX_DURATION_S,
  MIN_DURATION_S,
  type MintedIdToken,
  newSubjectToken,
  newTemporaryCredential,
  SUBJECT_TOKEN_LIFETIME_MS,
} from './iam.ts';
import type { RecordedRequest, Reply, RouteSteps } from './reply.ts';

export interface IamRoutesOptions {
  oidc: EmulatorOidcOptions | undefined;
  /** `X-Auth-Token` values the securitytokens route accepts besides issued subject tokens. */
  authTokens: string[];
  /** What the project lookup serves. */
  projects: Array<{ id: string; name: string }>;
  /** The runner stand-in's minted ID tokens: the only ones the exchange accepts. */
  mintedIdTokens: MintedIdToken[];
  /** Appended to by the exchange. */
  issuedSubjectTokens: IssuedSubjectToken[];
  /** Appended to by the securitytokens route. */
  issuedCredentials: IssuedCredential[];
}

export class IamRoutes {
  private readonly oidc: EmulatorOidcOptions | undefined;
  private readonly authTokens: string[];
  private readonly projectList: Array<{ id: string; name: string }>;
  private readonly mintedIdTokens: MintedIdToken[];
  private readonly issuedSubjectTokens: IssuedSubjectToken[];
  private readonly issuedCredentials: IssuedCredential[];

  constructor(options: IamRoutesOptions) {
    this.oidc = options.oidc;
    this.authTokens = options.authTokens;
    this.projectList = options.projects;
    this.mintedIdTokens = options.mintedIdTokens;
    this.issuedSubjectTokens = options.issuedSubjectTokens;
    this.issuedCredentials = options.issuedCredentials;
  }

  /** The issued temporary credentials as the gateway accepts them (expired ones included, to say so). */
  temporaryCredentials(): EmulatorCredential[] {
    return this.issuedCredentials.map((c) => ({
      accessKey: c.access,
      secretKey: c.secret,
      securityToken: c.securitytoken,
      expiresAtMs: c.expiresAt,
    }));
  }

  /** `GET /v3/projects?name=<region>`: the configured projects with that name (all without `name`). */
  projects(query: string): Reply {
    const params = queryParams(query);
    const name = params.name;
    const list = this.projectList.filter((p) => name === undefined || p.name === name);
    return {
      status: 200,
      body: { projects: list.map((p) => ({ id: p.id, name: p.name, enabled: true })), links: { self: null } },
    };
  }

  /** `POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id` and `{"auth":{"id_token":{"id":"<jwt>"}}}`. */
  exchange(record: RecordedRequest, headers: Record<string, string>, body: Buffer, now: number): RouteSteps {
    let exchanged: { idpId: string; minted: MintedIdToken } | undefined;
    return {
      check: () => {
        record.auth = 'id-token';
        const deny = (status: number, message: string): Reply => {
          record.authError = message;
          return { status, body: iamError(status, message), raw: true };
        };
        const idpId = headers['x-idp-id']?.trim();
        if (idpId === undefined || idpId === '') return deny(400, 'The X-Idp-Id header is required.');
        if (this.oidc === undefined || idpId !== this.oidc.idpId) {
          return deny(404, `Could not find identity provider: ${idpId}.`);
        }
        const parsed = parseJson(body);
        if (parsed === undefined) return deny(400, 'The request body is not valid JSON.');
        const jwt = pick(parsed, 'auth', 'id_token', 'id');
        if (typeof jwt !== 'string' || jwt === '') {
          return deny(400, 'Request parameter auth.id_token.id is missing or not a string.');
        }
        const minted = this.mintedIdTokens.find((m) => m.jwt === jwt);
        if (minted === undefined) {
          return deny(
            401,
            'The ID token is invalid: it was not issued by the identity provider (signature verification failed).',
          );
        }
        const expMs = minted.claims.exp * 1000;
        if (now >= expMs) {
          return deny(
            401,
            `The ID token has expired: exp ${new Date(expMs).toISOString()} is not after the server time ` +
              `${new Date(now).toISOString()}.`,
          );
        }
        const audience = this.oidc.audience;
        if (audience !== undefined && minted.claims.aud !== audience) {
          return deny(
            401,
            `The ID token's audience (aud) '${minted.claims.aud}' is not the audience '${audience}' ` +
              `of identity provider ${idpId}.`,
          );
        }
        record.authenticated = true;
        exchanged = { idpId, minted };
        return undefined;
      },
      serve: () => {
        if (exchanged === undefined) throw new Error('ElbEmulator: the ID-token exchange was not checked');
        const token = newSubjectToken();
        const expiresAt = now + SUBJECT_TOKEN_LIFETIME_MS;
        this.issuedSubjectTokens.push({
          token,
          idpId: exchanged.idpId,
          jti: exchanged.minted.claims.jti,
          issuedAt: now,
          expiresAt,
        });
        return {
          status: 201,
          headers: { 'X-Subject-Token': token },
          body: { token: { expires_at: iamTime(expiresAt), methods: ['token'], issued_at: iamTime(now) } },
          raw: true,
        };
      },
    };
  }

  /** `POST /v3.0/OS-CREDENTIAL/securitytokens` with `X-Auth-Token` and an optional `duration_seconds`. */
  securityTokens(
    record: RecordedRequest,
    headers: Record<string, string>,
    body: Buffer,
    now: number,
  ): RouteSteps {
    const fail = (status: number, message: string): Reply => ({
      status,
      body: iamError(status, message),
      raw: true,
    });
    return {
      check: () => {
        const deny = (message: string): Reply => {
          record.authError = message;
          return fail(401, message);
        };
        const token = headers['x-auth-token'];
        if (token === undefined) {
          return deny('The request you have made requires authentication: no X-Auth-Token header.');
        }
        record.auth = 'token';
        if (!this.authTokens.includes(token)) {
          const subject = this.issuedSubjectTokens.find((t) => t.token === token);
          if (subject === undefined) return deny('The X-Auth-Token is invalid.');
          if (now >= subject.expiresAt) {
            return deny(`The X-Auth-Token has expired: it expired at ${iamTime(subject.expiresAt)}.`);
          }
        }
        record.authenticated = true;
        return undefined;
      },
      serve: () => {
        const parsed = parseJson(body);
        if (parsed === undefined) return fail(400, 'The request body is not valid JSON.');
        const methods = pick(parsed, 'auth', 'identity', 'methods');
        if (!Array.isArray(methods) || !methods.includes('token')) {
          return fail(400, 'Request parameter auth.identity.methods must contain "token".');
        }
        const tokenPart = pick(parsed, 'auth', 'identity', 'token');
        if (tokenPart !== undefined && (tokenPart === null || typeof tokenPart !== 'object')) {
          return fail(400, 'Request parameter auth.identity.token must be an object.');
        }
        const asked = pick(tokenPart, 'duration_seconds');
        const duration = asked === undefined ? DEFAULT_DURATION_S : asked;
        if (
          typeof duration !== 'number' ||
          !Number.isInteger(duration) ||
          duration < MIN_DURATION_S ||
          duration > MAX_DURATION_S
        ) {
          return fail(
            400,
            `Request parameter auth.identity.token.duration_seconds must be an integer from ${MIN_DURATION_S} ` +
              `to ${MAX_DURATION_S}, got ${JSON.stringify(asked)}.`,
          );
        }
        const lifetime = Math.min(
          duration * 1000,
          this.oidc?.credentialLifetimeMs ?? Number.POSITIVE_INFINITY,
        );
        const credential = newTemporaryCredential(now, lifetime, duration);
        this.issuedCredentials.push(credential);
        return {
          status: 201,
          body: {
            credential: {
              access: credential.access,
              secret: credential.secret,
              securitytoken: credential.securitytoken,
              expires_at: iamTime(credential.expiresAt),
            },
          },
          raw: true,
        };
      },
    };
  }
}

/** `value[k1][k2]...`, or undefined when a step is not a plain object. */
function pick(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
