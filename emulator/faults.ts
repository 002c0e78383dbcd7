/**
 * Injected faults: the `Fault` type, the queue `ElbEmulator.injectFaults` fills, and how a fault turns a
 * route's normal reply into a broken answer (a status, a reset socket, a delay, a truncated or HTML or
 * empty or wrong-shaped body, an exact raw answer, an answer that never ends).
 */
import { type ServerResponse, STATUS_CODES } from 'node:http';
import { defaultIamFaultBody } from './iam.ts';
import { bodyText, type RecordedRequest, type Reply, type Responder, type RouteName } from './reply.ts';

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

/** The routes faults apply to when they do not name any. */
export const DEFAULT_FAULT_ROUTES: readonly RouteName[] = ['list', 'get'];

const GATEWAY_ROUTES: readonly RouteName[] = ['list', 'get', 'projects'];
const IAM_ROUTES: readonly RouteName[] = ['iam-id-token', 'iam-securitytokens'];

/** The status of a route's normal success (what `empty` and `shape` faults answer with). */
function successStatus(route: RouteName): number {
  return IAM_ROUTES.includes(route) ? 201 : 200;
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

/** The queued faults, and what applied faults left running (delayed replies, endless answers). */
export class FaultQueue {
  private queue: Array<{ fault: Fault; left: number }> = [];
  /** How many times each `raw` fault was applied. */
  private readonly rawCounts = new WeakMap<Fault, number>();
  /** Answers still streaming (`endless`), ended at stop(). */
  private readonly streams = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly out: Responder;

  constructor(out: Responder) {
    this.out = out;
  }

  /** Queues faults in order (each `times` times; `times` <= 0: not at all). */
  add(faults: Fault | Fault[]): void {
    for (const fault of Array.isArray(faults) ? faults : [faults]) {
      if (fault.routes !== undefined && (fault.routes.length === 0 || fault.routes.includes('unknown'))) {
        throw new Error("ElbEmulator: a fault's routes must be non-empty and must not include 'unknown'");
      }
      const times = fault.times ?? 1;
      if (times > 0) this.queue.push({ fault, left: times });
    }
  }

  /** How many fault applications are still queued. */
  pending(): number {
    return this.queue.reduce((sum, f) => sum + f.left, 0);
  }

  clear(): void {
    this.queue = [];
  }

  /** The fault the next request of `route` would get, without taking it. */
  peek(route: RouteName): Fault | undefined {
    return this.queue[this.index(route)]?.fault;
  }

  /** Drops the delayed replies not sent yet and destroys the endless answers. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  /** The index in the queue of the first fault that targets `route` (-1: none). */
  private index(route: RouteName): number {
    return this.queue.findIndex((f) => (f.fault.routes ?? DEFAULT_FAULT_ROUTES).includes(route));
  }

  private take(route: RouteName): Fault | undefined {
    const index = this.index(route);
    const entry = this.queue[index];
    if (entry === undefined) return undefined;
    entry.left--;
    if (entry.left <= 0) this.queue.splice(index, 1);
    return entry.fault;
  }

  /**
   * Answers the request with the next fault that targets its route, or with `normal()` when none is
   * queued. Faults that need the normal reply (delay, truncate) call `normal()`.
   */
  apply(res: ServerResponse, record: RecordedRequest, normal: () => Reply): void {
    const route = record.route;
    const fault = this.take(route);
    if (fault === undefined) {
      this.out.reply(res, record, normal());
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
        this.out.reply(res, record, reply);
        return;
      }
      case 'reset':
        this.out.finish(record, null);
        res.socket?.destroy();
        return;
      case 'delay': {
        const reply = normal();
        this.out.finish(record, reply.status);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.out.send(res, id, reply);
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      case 'truncate': {
        const reply = normal();
        const full = Buffer.from(bodyText(reply, id));
        this.out.finish(record, reply.status);
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
        this.out.finish(record, status);
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
        this.out.finish(record, status);
        this.out.send(res, id, { status, body: '' });
        return;
      }
      case 'shape': {
        const shapes: Partial<Record<RouteName, unknown>> = {
          'actions-id-token': { unexpected: true },
          'iam-id-token': { token: { unexpected: true } },
          'iam-securitytokens': { credential: { unexpected: true } },
        };
        this.out.reply(res, record, {
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
        this.out.finish(record, status);
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
        this.out.finish(record, 200);
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
}
