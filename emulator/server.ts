/**
 * ElbEmulator: a real HTTP server on 127.0.0.1 that serves Huawei Cloud ELB v3 job queries
 * (`GET /v3/{project_id}/elb/jobs`, `GET /v3/{project_id}/elb/jobs/{job_id}`) behind an emulated
 * API gateway (AK/SK signature or X-Auth-Token), with scripted job timelines, injectable faults and
 * a record of every request. Test and demo code only: never bundled into the action.
 *
 *   const emu = new ElbEmulator({ credentials: [{ accessKey: 'AK', secretKey: 'SK' }] });
 *   const url = await emu.start();           // http://127.0.0.1:<port>
 *   const job = emu.addJob(upgradeJob({ durationMs: 12_000, outcome: 'COMPLETE' }));
 *   ...
 *   await emu.stop();
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Socket } from 'node:net';
import {
  type AuthResult,
  authenticate,
  DEFAULT_MAX_SKEW_MS,
  type EmulatorCredential,
  queryParams,
} from './auth.ts';
import { beginMs, type CanonicalMainJob, type JobScript, jobAt, validateScript } from './jobs.ts';

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
}

interface FaultBase {
  /** How many consecutive matching requests this fault applies to. Default 1. */
  times?: number;
  /** Apply before authentication (to any request of an ELB route, even unsigned). Default false. */
  beforeAuth?: boolean;
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
  );

export type FaultKind = Fault['kind'];

export type RouteName = 'list' | 'get' | 'projects' | 'unknown';

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
  auth: 'aksk' | 'token' | 'none';
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

  private readonly credentials: EmulatorCredential[];
  private readonly authTokens: string[];
  private readonly maxPageSize: number;
  private readonly maxSkewMs: number;
  private readonly projects: Array<{ id: string; name: string }>;
  private readonly onRequest: ((request: RecordedRequest) => void) | undefined;
  private readonly clock: () => number;
  private jobs: StoredJob[] = [];
  private seq = 0;
  private faults: Array<{ fault: Fault; left: number }> = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
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
    this.clock = options.now ?? Date.now;
  }

  /** The emulator's clock (ms). */
  now(): number {
    return this.clock();
  }

  /** Listens on 127.0.0.1:`port` (0: any free port); resolves to the base URL `http://127.0.0.1:<port>`. */
  async start(port = 0): Promise<string> {
    if (this.server !== undefined) throw new Error('ElbEmulator: already started');
    const server = createServer((req, res) => {
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
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('ElbEmulator: no TCP address');
    this.base = `http://127.0.0.1:${address.port}`;
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
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

  /** Queues faults for the next ELB requests, applied in order (each `times` times). */
  injectFaults(faults: Fault | Fault[]): void {
    for (const fault of Array.isArray(faults) ? faults : [faults]) {
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
    // ['', 'v3', project, 'elb', 'jobs', job_id?]
    let route: RouteName = 'unknown';
    if (method === 'GET' && segments[1] === 'v3' && segments[3] === 'elb' && segments[4] === 'jobs') {
      if (segments.length === 5 && segments[2]) route = 'list';
      if (segments.length === 6 && segments[2] && segments[5]) route = 'get';
    }
    if (method === 'GET' && segments.length === 3 && segments[1] === 'v3' && segments[2] === 'projects') {
      route = 'projects';
    }
    record.route = route;
    if (route === 'unknown') {
      const message = 'The API does not exist or has not been published in the environment';
      this.reply(res, record, { status: 404, body: { error_code: 'APIGW.0101', error_msg: message } });
      return;
    }
    const isElb = route === 'list' || route === 'get';

    if (isElb && this.faults[0]?.fault.beforeAuth === true) {
      this.applyFault(res, record, () => this.elbReply(route, segments, query, now));
      return;
    }

    const auth: AuthResult = authenticate(
      { method, url: rawUrl, headers: req.headers, body },
      { credentials: this.credentials, authTokens: this.authTokens, nowMs: now, maxSkewMs: this.maxSkewMs },
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

    if (isElb && this.faults.length > 0) {
      this.applyFault(res, record, () => this.elbReply(route, segments, query, now));
      return;
    }
    if (route === 'projects') {
      this.reply(res, record, this.projectsReply(query));
      return;
    }
    this.reply(res, record, this.elbReply(route, segments, query, now));
  }

  private takeFault(): Fault | undefined {
    const head = this.faults[0];
    if (head === undefined) return undefined;
    head.left--;
    if (head.left <= 0) this.faults.shift();
    return head.fault;
  }

  private applyFault(res: ServerResponse, record: RecordedRequest, normal: () => Reply): void {
    const fault = this.takeFault();
    if (fault === undefined) {
      this.reply(res, record, normal());
      return;
    }
    record.fault = fault.kind;
    const id = record.requestId;
    switch (fault.kind) {
      case 'status': {
        const body = fault.body === undefined ? defaultFaultBody(fault.status, id) : fault.body;
        const reply: Reply = { status: fault.status, body };
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
        const full = Buffer.from(JSON.stringify(withRequestId(reply.body, id)));
        this.finishRecord(record, reply.status);
        res.writeHead(reply.status, {
          'Content-Type': 'application/json',
          'Content-Length': String(full.length),
          'X-Request-Id': id,
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
      case 'empty':
        this.finishRecord(record, 200);
        this.send(res, id, { status: 200, body: '' });
        return;
      case 'shape':
        this.reply(res, record, {
          status: 200,
          body: fault.body ?? { jobs: { unexpected: true }, page_info: [], request_id: id },
        });
        return;
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
    const text =
      typeof reply.body === 'string' ? reply.body : JSON.stringify(withRequestId(reply.body, requestId));
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

function withRequestId(body: unknown, requestId: string): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !('request_id' in body)) {
    return { ...(body as Record<string, unknown>), request_id: requestId };
  }
  return body;
}
