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
 *
 * This module is the composition: one server per instance (loopback.ts), the request record, routing,
 * and the order of auth checks and faults. Each service is its own module: gateway.ts (gateway auth),
 * elb.ts (job routes), iam-routes.ts (IAM), id-token.ts (the runner stand-in), faults.ts (faults),
 * reply.ts (the record and reply types, and writing replies).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { DEFAULT_MAX_SKEW_MS, type EmulatorCredential } from './auth.ts';
import { ElbJobs, MAX_LIMIT } from './elb.ts';
import { type Fault, FaultQueue } from './faults.ts';
import { GatewayLimit, gatewayCheck, type RateLimit, unknownApi } from './gateway.ts';
import type { EmulatorOidcOptions, IssuedCredential, IssuedSubjectToken, MintedIdToken } from './iam.ts';
import { IamRoutes } from './iam-routes.ts';
import { IdTokenStandIn } from './id-token.ts';
import type { CanonicalMainJob, JobScript } from './jobs.ts';
import { type Loopback, loopback } from './loopback.ts';
import {
  newRequestId,
  type RecordedRequest,
  type Reply,
  Responder,
  type RouteName,
  type RouteSteps,
} from './reply.ts';

export type { EmulatorCredential } from './auth.ts';
export { parseBeginTime } from './elb.ts';
export { DEFAULT_FAULT_ROUTES, defaultFaultBody, type Fault, type FaultKind } from './faults.ts';
export type { RecordedRequest, RouteName } from './reply.ts';

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
  /**
   * The gateway's throttling: a token bucket per credential shared by the ELB routes and the project lookup (Huawei:
   * 200 requests per 5 minutes per user). An empty bucket answers 429 `APIGW.0308`. Default: no limit.
   */
  rateLimit?: RateLimit;
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
  private readonly maxSkewMs: number;
  private readonly clock: () => number;
  private readonly tls: { key: string; cert: string } | undefined;
  private readonly out: Responder;
  private readonly jobs: ElbJobs;
  private readonly iam: IamRoutes;
  private readonly idTokens: IdTokenStandIn;
  private readonly faults: FaultQueue;
  private readonly limit: GatewayLimit | undefined;
  private server: Loopback | undefined;
  private base = '';

  constructor(options: ElbEmulatorOptions = {}) {
    this.credentials = [...(options.credentials ?? [])];
    this.authTokens = [...(options.authTokens ?? [])];
    this.jobs = new ElbJobs(options.maxPageSize ?? MAX_LIMIT);
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.limit = options.rateLimit ? new GatewayLimit(options.rateLimit) : undefined;
    let oidc: EmulatorOidcOptions | undefined;
    if (options.oidc !== undefined) {
      const { idpId, requestToken, credentialLifetimeMs } = options.oidc;
      if (idpId === '' || requestToken === '') {
        throw new Error('ElbEmulator: oidc.idpId and oidc.requestToken must not be empty');
      }
      if (credentialLifetimeMs !== undefined && !(credentialLifetimeMs > 0)) {
        throw new Error('ElbEmulator: oidc.credentialLifetimeMs must be > 0');
      }
      oidc = { ...options.oidc };
    }
    this.clock = options.now ?? Date.now;
    this.tls = options.tls;
    this.out = new Responder(this.clock, options.onRequest);
    this.faults = new FaultQueue(this.out);
    this.idTokens = new IdTokenStandIn(oidc, this.mintedIdTokens);
    this.iam = new IamRoutes({
      oidc,
      authTokens: this.authTokens,
      projects: [...(options.projects ?? [])],
      mintedIdTokens: this.mintedIdTokens,
      issuedSubjectTokens: this.issuedSubjectTokens,
      issuedCredentials: this.issuedCredentials,
    });
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
          this.out.send(res, newRequestId(), {
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
    this.faults.stop();
    await server.close();
  }

  /**
   * Adds a scripted job; its offsets count from `addedAtMs` (default: now()). Returns the script
   * (its `job_id` is what a client waits for).
   */
  addJob(script: JobScript, addedAtMs: number = this.clock()): JobScript {
    this.jobs.add(script, addedAtMs);
    return script;
  }

  /** What the API serves now for a job (undefined while not listed or unknown). */
  jobState(jobId: string): CanonicalMainJob | undefined {
    return this.jobs.state(jobId, this.clock());
  }

  /**
   * Queues faults, applied in order (each `times` times): a request gets the first queued fault that
   * targets its route (`routes`, default the two ELB job routes).
   */
  injectFaults(faults: Fault | Fault[]): void {
    this.faults.add(faults);
  }

  /** How many fault applications are still queued. */
  pendingFaults(): number {
    return this.faults.pending();
  }

  clearFaults(): void {
    this.faults.clear();
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Removes jobs, faults and recorded requests. */
  reset(): void {
    this.jobs.clear();
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
    const record: RecordedRequest = {
      requestId: newRequestId(),
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
    let steps: RouteSteps;
    // The gateway's routes: ELB's jobs and IAM's project lookup, behind AK/SK or X-Auth-Token auth.
    const gateway = route === 'list' || route === 'get' || route === 'projects';
    switch (route) {
      case 'unknown':
        this.out.reply(res, record, unknownApi());
        return;
      case 'list':
      case 'get':
      case 'projects': {
        const projectId = segments[2] ?? '';
        const serve = (): Reply =>
          route === 'projects'
            ? this.iam.projects(query)
            : route === 'get'
              ? this.jobs.get(projectId, segments[5] ?? '', now)
              : this.jobs.list(projectId, query, now);
        const check = () =>
          gatewayCheck(
            { method, url: rawUrl, headers: req.headers, body },
            {
              credentials: [...this.credentials, ...this.iam.temporaryCredentials()],
              authTokens: this.authTokens,
              nowMs: now,
              maxSkewMs: this.maxSkewMs,
            },
            record,
          ) ?? this.limit?.take(record.accessKey ?? headers['x-auth-token'] ?? '', now);
        steps = { check, serve };
        break;
      }
      case 'actions-id-token':
        steps = this.idTokens.steps(record, headers, query, now);
        break;
      case 'iam-id-token':
        steps = this.iam.exchange(record, headers, body, now);
        break;
      case 'iam-securitytokens':
        steps = this.iam.securityTokens(record, headers, body, now);
        break;
    }

    const fault = this.faults.peek(route);
    if (fault?.beforeAuth === true) {
      // Before auth, the gateway serves without checking; the IAM routes and the stand-in still run
      // their checks (the exchange's reply needs what its check found).
      this.faults.apply(res, record, gateway ? steps.serve : () => steps.check() ?? steps.serve());
      return;
    }
    const denied = steps.check();
    if (denied !== undefined) {
      this.out.reply(res, record, denied);
      return;
    }
    if (fault !== undefined) {
      this.faults.apply(res, record, steps.serve);
      return;
    }
    this.out.reply(res, record, steps.serve());
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

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
