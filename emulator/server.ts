/**
 * ElbEmulator: a real HTTP server on 127.0.0.1 that serves Huawei Cloud ELB v3 job queries
 * (`GET /v3/{project_id}/elb/jobs`, `GET /v3/{project_id}/elb/jobs/{job_id}`) behind an emulated
 * API gateway (AK/SK signature or X-Auth-Token), with scripted job timelines, injectable faults and
 * a record of every request. It also serves the IAM routes the action uses (project lookup, the OIDC
 * ID-token exchange, temporary credentials) and a stand-in for the runner's ID-token endpoint.
 * Test and demo code only: never bundled into the action.
 *
 *   const emu = new ElbEmulator({ credentials: [{ accessKey: 'AK', secretKey: 'SK' }] });
 *   const url = await emu.start();           // http://127.0.0.1:<port>
 *   const job = emu.addJob(upgradeJob({ durationMs: 12_000, outcome: 'COMPLETE' }));
 *   ...
 *   await emu.stop();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AuthResult,
  authenticate,
  DEFAULT_MAX_SKEW_MS,
  type EmulatorCredential,
  queryParams,
} from './auth.ts';
import {
  DEFAULT_DURATION_S,
  DEFAULT_ID_TOKEN_AUDIENCE,
  defaultIamFaultBody,
  type EmulatorOidcOptions,
  type IssuedCredential,
  type IssuedSubjectToken,
  iamError,
  iamTime,
  MAX_DURATION_S,
  MIN_DURATION_S,
  type MintedIdToken,
  mintIdToken,
  newSubjectToken,
  newTemporaryCredential,
  SUBJECT_TOKEN_LIFETIME_MS,
} from './iam.ts';
import { beginMs, type CanonicalMainJob, type JobScript, jobAt, validateScript } from './jobs.ts';
import { type Loopback, loopback } from './loopback.ts';

export type { EmulatorCredential } from './auth.ts';

export interface ElbEmulatorOptions {
  /** Accepted AK/SK pairs (with a security token for temporary credentials). */
  credentials?: EmulatorCredential[];
  /** Accepted `X-Auth-Token` values (no signature needed with one). */
  authTokens?: string[];
  /** Server-side cap on `limit`, to force pagination. Default 2000. */
  maxPageSize?: number;
  /** Clock in epoch ms for job timelines, the X-Sdk-Date check and the request record. Default Date.now. */
  now?: () => number;
  /**
   * Allowed |X-Sdk-Date - now()|. Default 15 minutes, as the gateway. A client signs with the real
   * clock: with an injected `now()` far from it, pass `Number.POSITIVE_INFINITY` to skip the check.
   */
  maxSkewMs?: number;
  /** Projects served by the IAM route `GET /v3/projects?name=<region>` (signed like ELB). */
  projects?: Array<{ id: string; name: string }>;
  /** Called once per request, when its response status is decided (status null: socket reset). */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * Keyless auth: the runner's ID-token endpoint stand-in (`GET /_actions/id-token`) and the IAM
   * identity provider for `POST /v3.0/OS-AUTH/id-token/tokens`. Without it the stand-in rejects every
   * bearer token and every `X-Idp-Id` is unknown.
   */
  oidc?: EmulatorOidcOptions;
  /** PEM key and certificate: serve HTTPS (clients must trust the certificate), as the real endpoints do. */
  tls?: { key: string; cert: string };
}

interface FaultBase {
  /** How many matching requests this fault applies to. Default 1. */
  times?: number;
  /**
   * Apply before authentication (to any request of a targeted route, even unsigned). Default false:
   * only requests that pass the route's authentication checks get the fault.
   */
  beforeAuth?: boolean;
  /** The routes this fault applies to. Default `['list', 'get']` (the ELB job routes); never `'unknown'`. */
  routes?: RouteName[];
}

export type Fault = FaultBase &
  (
    | {
        kind: 'status';
        status: number;
        /** A string is sent as is; anything else as JSON. Default: a gateway-style error for the status. */
        body?: unknown;
        headers?: Record<string, string>;
      }
    /** Destroy the socket without a response. */
    | { kind: 'reset' }
    /** Respond normally after `ms`. */
    | { kind: 'delay'; ms: number }
    /** Declare the full Content-Length, send half of the normal JSON, then end the socket. */
    | { kind: 'truncate' }
    /** An HTML error page (status default 200, Content-Type text/html). */
    | { kind: 'html'; status?: number }
    /** 200 with an empty body. */
    | { kind: 'empty' }
    /** 200 JSON of the wrong shape (default `{"jobs":{"unexpected":true},...}`). */
    | { kind: 'shape'; body?: unknown }
    /**
     * Exactly this answer, as a hostile or broken server would send it: the status (default 200), the headers and the
     * body as given, no `request_id` added. A function body gets the how-many-th application of this fault it is
     * (from 1), for answers that change (a page marker that never repeats).
     */
    | {
        kind: 'raw';
        status?: number;
        headers?: Record<string, string>;
        body: string | ((n: number) => string);
      }
    /** 200 JSON that never ends: the start of a `jobs` array, then jobs as fast as the client reads them. */
    | { kind: 'endless' }
  );

export type FaultKind = Fault['kind'];

export type RouteName =
  | 'list'
  | 'get'
  | 'projects'
  /** `GET /_actions/id-token`: the runner's ID-token endpoint stand-in. */
  | 'actions-id-token'
  /** `POST /v3.0/OS-AUTH/id-token/tokens`: IAM's OIDC ID-token exchange. */
  | 'iam-id-token'
  /** `POST /v3.0/OS-CREDENTIAL/securitytokens`: IAM's temporary credentials. */
  | 'iam-securitytokens'
  | 'unknown';

/** The routes faults apply to when they do not name any. */
export const DEFAULT_FAULT_ROUTES: readonly RouteName[] = ['list', 'get'];

export interface RecordedRequest {
  /** Also sent as `X-Request-Id` and in error bodies. */
  requestId: string;
  method: string;
  /** The raw path as sent. */
  path: string;
  /** The raw query string as sent, without '?' ('' when none). */
  query: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
  /** Emulator clock (ms) at arrival. */
  time: number;
  route: RouteName;
  /** `bearer`: the runner stand-in's `Authorization: Bearer`; `id-token`: the IAM ID-token exchange. */
  auth: 'aksk' | 'token' | 'bearer' | 'id-token' | 'none';
  accessKey?: string;
  /** Passed authentication (signature or token). */
  authenticated: boolean;
  /** An AK/SK signature was verified (false for token auth). */
  signatureVerified: boolean;
  authError?: string;
  /** The response status; null when the socket was destroyed without a response. */
  status: number | null;
  fault?: FaultKind;
}

interface StoredJob {
  script: JobScript;
  addedAt: number;
  seq: number;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Send an object body as is (no `request_id` added): IAM and the runner stand-in. */
  raw?: boolean;
}

/** A route's authentication checks (an error reply, or undefined when they pass) and its normal work. */
interface Steps {
  check: () => Reply | undefined;
  serve: () => Reply;
}

const GATEWAY_ROUTES: readonly RouteName[] = ['list', 'get', 'projects'];
const IAM_ROUTES: readonly RouteName[] = ['iam-id-token', 'iam-securitytokens'];

/** The status of a route's normal success (what `empty` and `shape` faults answer with). */
function successStatus(route: RouteName): number {
  return IAM_ROUTES.includes(route) ? 201 : 200;
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

const MAX_LIMIT = 2000;
const BEGIN_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const FILTERS = ['job_id', 'job_type', 'status', 'error_code', 'resource_id', 'project_id'] as const;

function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Parses the API's `yyyy-MM-ddTHH:mm:ss` (UTC) to epoch ms, or undefined. */
export function parseBeginTime(value: string): number | undefined {
  const m = BEGIN_TIME.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return ms;
}

/** The default body of a `status` fault. */
export function defaultFaultBody(status: number, requestId: string): Record<string, string> {
  const body = (error_code: string, error_msg: string) => ({ error_code, error_msg, request_id: requestId });
  switch (status) {
    case 429:
      return body('APIGW.0308', 'policy user over ratelimit,limit:200,time:5 minute');
    case 500:
      return body('APIGW.0103', 'The backend does not exist.');
    case 502:
    case 503:
      return body('APIGW.0202', 'Backend unavailable.');
    case 504:
      return body('APIGW.0201', 'Backend timeout.');
    case 401:
      return body('APIGW.0301', 'Incorrect IAM authentication information: injected fault');
    case 403:
      return body('APIGW.0306', 'Access denied.');
    default:
      return body(`EMU.${status}`, STATUS_CODES[status] ?? 'Error');
  }
}

export class ElbEmulator {
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** ID tokens minted by the runner stand-in, in order. */
  readonly mintedIdTokens: MintedIdToken[] = [];
  /** Tokens issued by the ID-token exchange, in order. */
  readonly issuedSubjectTokens: IssuedSubjectToken[] = [];
  /** Temporary credentials issued by the securitytokens route, in order (expired ones stay listed). */
  readonly issuedCredentials: IssuedCredential[] = [];

  private readonly credentials: EmulatorCredential[];
  private readonly authTokens: string[];
  private readonly maxPageSize: number;
  private readonly maxSkewMs: number;
  private readonly projects: Array<{ id: string; name: string }>;
  private readonly onRequest: ((request: RecordedRequest) => void) | undefined;
  private readonly oidc: EmulatorOidcOptions | undefined;
  private readonly clock: () => number;
  private readonly tls: { key: string; cert: string } | undefined;
  private jobs: StoredJob[] = [];
  private seq = 0;
  private faults: Array<{ fault: Fault; left: number }> = [];
  /** How many times each `raw` fault was applied. */
  private readonly rawCounts = new WeakMap<Fault, number>();
  /** Answers still streaming (`endless`), ended at stop(). */
  private readonly streams = new Set<ServerResponse>();
  private server: Loopback | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private base = '';

  constructor(options: ElbEmulatorOptions = {}) {
    this.credentials = [...(options.credentials ?? [])];
    this.authTokens = [...(options.authTokens ?? [])];
    this.maxPageSize = options.maxPageSize ?? MAX_LIMIT;
    if (!(this.maxPageSize >= 1)) throw new Error('ElbEmulator: maxPageSize must be >= 1');
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.projects = [...(options.projects ?? [])];
    this.onRequest = options.onRequest;
    if (options.oidc !== undefined) {
      const { idpId, requestToken, credentialLifetimeMs } = options.oidc;
      if (idpId === '' || requestToken === '') {
        throw new Error('ElbEmulator: oidc.idpId and oidc.requestToken must not be empty');
      }
      if (credentialLifetimeMs !== undefined && !(credentialLifetimeMs > 0)) {
        throw new Error('ElbEmulator: oidc.credentialLifetimeMs must be > 0');
      }
      this.oidc = { ...options.oidc };
    }
    this.clock = options.now ?? Date.now;
    this.tls = options.tls;
  }

  /** The emulator's clock (ms). */
  now(): number {
    return this.clock();
  }

  /**
   * Listens on 127.0.0.1:`port` (0: any free port); resolves to the base URL `http://127.0.0.1:<port>`, or
   * `https://` with `tls`.
   */
  async start(port = 0): Promise<string> {
    if (this.server !== undefined) throw new Error('ElbEmulator: already started');
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          this.send(res, newRequestId(), {
            status: 500,
            body: { error_code: 'EMU.500', error_msg: String(error) },
          });
        } else {
          res.destroy();
        }
      });
    };
    const server = this.tls ? createHttpsServer(this.tls, handler) : createServer(handler);
    this.server = loopback(server, 'ElbEmulator');
    const url = await this.server.listen(port);
    this.base = this.tls ? url.replace(/^http:/, 'https:') : url;
    return this.base;
  }

  /** The base URL (after start). */
  get url(): string {
    if (this.base === '') throw new Error('ElbEmulator: not started');
    return this.base;
  }

  /** Closes the server and every connection (keep-alive ones and delayed responses included). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.streams) res.destroy();
    this.streams.clear();
    await server.close();
  }

  /**
   * Adds a scripted job; its offsets count from `addedAtMs` (default: now()). Returns the script
   * (its `job_id` is what a client waits for).
   */
  addJob(script: JobScript, addedAtMs: number = this.clock()): JobScript {
    validateScript(script);
    this.jobs.push({ script, addedAt: addedAtMs, seq: this.seq++ });
    return script;
  }

  /** What the API serves now for a job (undefined while not listed or unknown). */
  jobState(jobId: string): CanonicalMainJob | undefined {
    const now = this.clock();
    const stored = this.jobs.find((j) => j.script.job_id === jobId);
    return stored === undefined ? undefined : jobAt(stored.script, now - stored.addedAt, stored.addedAt);
  }

  /**
   * Queues faults, applied in order (each `times` times): a request gets the first queued fault that
   * targets its route (`routes`, default the two ELB job routes).
   */
  injectFaults(faults: Fault | Fault[]): void {
    for (const fault of Array.isArray(faults) ? faults : [faults]) {
      if (fault.routes !== undefined && (fault.routes.length === 0 || fault.routes.includes('unknown'))) {
        throw new Error("ElbEmulator: a fault's routes must be non-empty and must not include 'unknown'");
      }
      const times = fault.times ?? 1;
      if (times > 0) this.faults.push({ fault, left: times });
    }
  }

  /** How many fault applications are still queued. */
  pendingFaults(): number {
    return this.faults.reduce((sum, f) => sum + f.left, 0);
  }

  clearFaults(): void {
    this.faults = [];
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Removes jobs, faults and recorded requests. */
  reset(): void {
    this.jobs = [];
    this.clearFaults();
    this.clearRequests();
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const now = this.clock();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = q === -1 ? '' : rawUrl.slice(q + 1);
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const requestId = newRequestId();
    const record: RecordedRequest = {
      requestId,
      method,
      path,
      query,
      headers,
      body: body.toString('utf8'),
      time: now,
      route: 'unknown',
      auth: 'none',
      authenticated: false,
      signatureVerified: false,
      status: null,
    };
    this.requests.push(record);

    const segments = path.split('/').map(decode);
    if (segments[segments.length - 1] === '' && segments.length > 2) segments.pop();
    const route = routeOf(method, segments);
    record.route = route;
    if (route === 'unknown') {
      const message = 'The API does not exist or has not been published in the environment';
      this.reply(res, record, { status: 404, body: { error_code: 'APIGW.0101', error_msg: message } });
      return;
    }
    const fault = this.peekFault(route);

    if (route === 'list' || route === 'get' || route === 'projects') {
      const serve = (): Reply =>
        route === 'projects' ? this.projectsReply(query) : this.elbReply(route, segments, query, now);
      if (fault?.beforeAuth === true) {
        this.applyFault(res, record, serve);
        return;
      }
      const auth: AuthResult = authenticate(
        { method, url: rawUrl, headers: req.headers, body },
        {
          credentials: this.acceptedCredentials(),
          authTokens: this.authTokens,
          nowMs: now,
          maxSkewMs: this.maxSkewMs,
        },
      );
      record.auth = auth.kind;
      if ('accessKey' in auth && auth.accessKey !== undefined) record.accessKey = auth.accessKey;
      if (!auth.ok) {
        record.authError = auth.message;
        this.reply(res, record, { status: 401, body: { error_msg: auth.message, error_code: 'APIGW.0301' } });
        return;
      }
      record.authenticated = true;
      record.signatureVerified = auth.kind === 'aksk';
      if (fault !== undefined) {
        this.applyFault(res, record, serve);
        return;
      }
      this.reply(res, record, serve());
      return;
    }

    const steps =
      route === 'actions-id-token'
        ? this.idTokenStandIn(record, headers, query, now)
        : route === 'iam-id-token'
          ? this.idTokenExchange(record, headers, body, now)
          : this.securityTokens(record, headers, body, now);
    if (fault?.beforeAuth === true) {
      this.applyFault(res, record, () => steps.check() ?? steps.serve());
      return;
    }
    const denied = steps.check();
    if (denied !== undefined) {
      this.reply(res, record, denied);
      return;
    }
    if (fault !== undefined) {
      this.applyFault(res, record, steps.serve);
      return;
    }
    this.reply(res, record, steps.serve());
  }

  /** The configured AK/SK pairs and the issued temporary credentials (expired ones included, to say so). */
  private acceptedCredentials(): EmulatorCredential[] {
    return [
      ...this.credentials,
      ...this.issuedCredentials.map((c) => ({
        accessKey: c.access,
        secretKey: c.secret,
        securityToken: c.securitytoken,
        expiresAtMs: c.expiresAt,
      })),
    ];
  }

  /** `GET /_actions/id-token?api-version=2.0[&audience=...]` with `Authorization: Bearer <requestToken>`. */
  private idTokenStandIn(
    record: RecordedRequest,
    headers: Record<string, string>,
    query: string,
    now: number,
  ): Steps {
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
        this.mintedIdTokens.push(minted);
        return { status: 200, body: { value: minted.jwt }, raw: true };
      },
    };
  }

  /** `POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id` and `{"auth":{"id_token":{"id":"<jwt>"}}}`. */
  private idTokenExchange(
    record: RecordedRequest,
    headers: Record<string, string>,
    body: Buffer,
    now: number,
  ): Steps {
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
  private securityTokens(
    record: RecordedRequest,
    headers: Record<string, string>,
    body: Buffer,
    now: number,
  ): Steps {
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

  /** The index in the queue of the first fault that targets `route` (-1: none). */
  private faultIndex(route: RouteName): number {
    return this.faults.findIndex((f) => (f.fault.routes ?? DEFAULT_FAULT_ROUTES).includes(route));
  }

  private peekFault(route: RouteName): Fault | undefined {
    return this.faults[this.faultIndex(route)]?.fault;
  }

  private takeFault(route: RouteName): Fault | undefined {
    const index = this.faultIndex(route);
    const entry = this.faults[index];
    if (entry === undefined) return undefined;
    entry.left--;
    if (entry.left <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  private applyFault(res: ServerResponse, record: RecordedRequest, normal: () => Reply): void {
    const route = record.route;
    const fault = this.takeFault(route);
    if (fault === undefined) {
      this.reply(res, record, normal());
      return;
    }
    record.fault = fault.kind;
    const id = record.requestId;
    const gateway = GATEWAY_ROUTES.includes(route);
    switch (fault.kind) {
      case 'status': {
        let body: unknown = fault.body;
        if (body === undefined) {
          if (gateway) body = defaultFaultBody(fault.status, id);
          else if (route === 'actions-id-token') body = { message: STATUS_CODES[fault.status] ?? 'Error' };
          else body = defaultIamFaultBody(fault.status);
        }
        const reply: Reply = { status: fault.status, body, raw: !gateway };
        if (fault.headers !== undefined) reply.headers = fault.headers;
        this.reply(res, record, reply);
        return;
      }
      case 'reset':
        this.finishRecord(record, null);
        res.socket?.destroy();
        return;
      case 'delay': {
        const reply = normal();
        this.finishRecord(record, reply.status);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.send(res, id, reply);
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'truncate': {
        const reply = normal();
        const full = Buffer.from(bodyText(reply, id));
        this.finishRecord(record, reply.status);
        res.writeHead(reply.status, {
          'Content-Type': 'application/json',
          'Content-Length': String(full.length),
          'X-Request-Id': id,
          ...reply.headers,
        });
        res.write(full.subarray(0, Math.max(1, Math.floor(full.length / 2))), () => res.socket?.destroy());
        return;
      }
      case 'html': {
        const status = fault.status ?? 200;
        this.finishRecord(record, status);
        const html =
          '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
          '<body><h1>502 Bad Gateway</h1><hr><p>openresty</p></body></html>\n';
        res.writeHead(status, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(html)),
          'X-Request-Id': id,
        });
        res.end(html);
        return;
      }
      case 'empty': {
        const status = successStatus(route);
        this.finishRecord(record, status);
        this.send(res, id, { status, body: '' });
        return;
      }
      case 'shape': {
        const shapes: Partial<Record<RouteName, unknown>> = {
          'actions-id-token': { unexpected: true },
          'iam-id-token': { token: { unexpected: true } },
          'iam-securitytokens': { credential: { unexpected: true } },
        };
        this.reply(res, record, {
          status: successStatus(route),
          body: fault.body ?? shapes[route] ?? { jobs: { unexpected: true }, page_info: [], request_id: id },
          raw: !gateway,
        });
        return;
      }
      case 'raw': {
        const status = fault.status ?? 200;
        const n = (this.rawCounts.get(fault) ?? 0) + 1;
        this.rawCounts.set(fault, n);
        const text = typeof fault.body === 'function' ? fault.body(n) : fault.body;
        this.finishRecord(record, status);
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(text)),
          'X-Request-Id': id,
          ...fault.headers,
        });
        res.end(text);
        return;
      }
      case 'endless': {
        this.finishRecord(record, 200);
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': id });
        res.write('{"jobs":[');
        const chunk = Buffer.from('{"job_id":"endless","status":"RUNNING"},'.repeat(4096));
        this.streams.add(res);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {
            // Write until the client's window is full, then wait for it to drain.
          }
          if (!res.destroyed) res.once('drain', pump);
        };
        res.once('close', () => this.streams.delete(res));
        pump();
        return;
      }
      default:
        throw new Error(`unknown fault ${JSON.stringify(fault)}`);
    }
  }

  private finishRecord(record: RecordedRequest, status: number | null): void {
    record.status = status;
    this.onRequest?.(record);
  }

  private reply(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
    this.finishRecord(record, reply.status);
    this.send(res, record.requestId, reply);
  }

  /** Sends JSON (objects get `request_id` when they lack one) or a string body as is. */
  private send(res: ServerResponse, requestId: string, reply: Reply): void {
    if (res.destroyed || res.writableEnded) return;
    const text = bodyText(reply, requestId);
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'X-Request-Id': requestId,
      'Content-Length': String(Buffer.byteLength(text)),
      // The gateway's clock: lets a client tell a skewed runner clock from a wrong key.
      Date: new Date(this.clock()).toUTCString(),
      ...reply.headers,
    });
    res.end(text);
  }

  private visibleJobs(projectId: string, now: number): Array<{ job: CanonicalMainJob; begin: number }> {
    const visible: Array<{ job: CanonicalMainJob; begin: number; seq: number }> = [];
    for (const stored of this.jobs) {
      if (stored.script.project_id !== projectId) continue;
      const job = jobAt(stored.script, now - stored.addedAt, stored.addedAt);
      if (job === undefined) continue;
      visible.push({ job, begin: beginMs(stored.script, stored.addedAt), seq: stored.seq });
    }
    // Newest begin_time first; among equal begin times, the job added last first.
    visible.sort((a, b) => b.begin - a.begin || b.seq - a.seq);
    return visible;
  }

  private elbReply(route: RouteName, segments: string[], query: string, now: number): Reply {
    const projectId = segments[2] ?? '';
    if (route === 'get') {
      const jobId = segments[5] ?? '';
      const found = this.visibleJobs(projectId, now).find((v) => v.job.job_id === jobId);
      if (found === undefined) {
        return {
          status: 404,
          body: { error_code: 'ELB.8904', error_msg: `Job ${jobId} could not be found.` },
        };
      }
      return { status: 200, body: { job: found.job } };
    }
    return this.listReply(projectId, query, now);
  }

  private listReply(projectId: string, query: string, now: number): Reply {
    const params = queryParams(query);
    const bad = (message: string): Reply => ({
      status: 400,
      body: { error_code: 'ELB.8902', error_msg: `Invalid parameter: ${message}` },
    });
    const single: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      if (Array.isArray(value)) return bad(`${key} must be given once`);
      single[key] = value;
    }
    let limit = MAX_LIMIT;
    if (single.limit !== undefined) {
      if (!/^\d+$/.test(single.limit) || Number(single.limit) > MAX_LIMIT) {
        return bad(`limit must be an integer from 0 to ${MAX_LIMIT}, got '${single.limit}'`);
      }
      // 0 is treated as "no limit given" (the documentation does not say what 0 means).
      if (Number(single.limit) > 0) limit = Number(single.limit);
    }
    limit = Math.min(limit, this.maxPageSize);
    let reverse = false;
    if (single.page_reverse !== undefined) {
      if (single.page_reverse !== 'true' && single.page_reverse !== 'false') {
        return bad(`page_reverse must be true or false, got '${single.page_reverse}'`);
      }
      reverse = single.page_reverse === 'true';
    }
    let since: number | undefined;
    if (single.begin_time !== undefined) {
      since = parseBeginTime(single.begin_time);
      if (since === undefined) {
        return bad(`begin_time must be in the format yyyy-MM-dd'T'HH:mm:ss, got '${single.begin_time}'`);
      }
    }
    const all = this.visibleJobs(projectId, now);
    const matches = (v: { job: CanonicalMainJob; begin: number }): boolean => {
      for (const key of FILTERS) {
        const wanted = single[key];
        if (wanted !== undefined && v.job[key] !== wanted) return false;
      }
      return since === undefined || Math.floor(v.begin / 1000) * 1000 >= since;
    };
    // Positions in the unfiltered order, so a marker works even if it no longer matches the filters.
    const positions = all.map((v, i) => ({ v, i })).filter((p) => matches(p.v));
    let candidates = positions;
    let markerPos: number | undefined;
    if (single.marker !== undefined) {
      markerPos = all.findIndex((v) => v.job.job_id === single.marker);
      if (markerPos === -1) return bad(`marker ${single.marker} does not exist`);
    }
    let page: typeof positions;
    if (markerPos === undefined) {
      page = candidates.slice(0, limit);
    } else if (!reverse) {
      const after = markerPos;
      candidates = positions.filter((p) => p.i > after);
      page = candidates.slice(0, limit);
    } else {
      const before = markerPos;
      candidates = positions.filter((p) => p.i < before);
      page = candidates.slice(Math.max(0, candidates.length - limit));
    }
    const first = page[0];
    const last = page[page.length - 1];
    const pageInfo: Record<string, string | number> = {};
    if (first !== undefined) pageInfo.previous_marker = first.v.job.job_id;
    pageInfo.current_count = page.length;
    if (last !== undefined && positions.some((p) => p.i > last.i)) pageInfo.next_marker = last.v.job.job_id;
    return { status: 200, body: { jobs: page.map((p) => p.v.job), page_info: pageInfo } };
  }

  private projectsReply(query: string): Reply {
    const params = queryParams(query);
    const name = params.name;
    const list = this.projects.filter((p) => name === undefined || p.name === name);
    return {
      status: 200,
      body: { projects: list.map((p) => ({ id: p.id, name: p.name, enabled: true })), links: { self: null } },
    };
  }
}

/** Where a request goes, from its method and decoded path segments. */
function routeOf(method: string, segments: string[]): RouteName {
  const is = (...expected: string[]): boolean =>
    segments.length === expected.length + 1 && expected.every((e, i) => segments[i + 1] === e);
  if (method === 'GET' && segments[1] === 'v3' && segments[3] === 'elb' && segments[4] === 'jobs') {
    if (segments.length === 5 && segments[2]) return 'list';
    if (segments.length === 6 && segments[2] && segments[5]) return 'get';
  }
  if (method === 'GET' && is('v3', 'projects')) return 'projects';
  if (method === 'GET' && is('_actions', 'id-token')) return 'actions-id-token';
  if (method === 'POST' && is('v3.0', 'OS-AUTH', 'id-token', 'tokens')) return 'iam-id-token';
  if (method === 'POST' && is('v3.0', 'OS-CREDENTIAL', 'securitytokens')) return 'iam-securitytokens';
  return 'unknown';
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A string body as is; JSON otherwise, with `request_id` added to objects unless `raw`. */
function bodyText(reply: Reply, requestId: string): string {
  if (typeof reply.body === 'string') return reply.body;
  return JSON.stringify(reply.raw === true ? reply.body : withRequestId(reply.body, requestId));
}

function withRequestId(body: unknown, requestId: string): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !('request_id' in body)) {
    return { ...(body as Record<string, unknown>), request_id: requestId };
  }
  return body;
}
