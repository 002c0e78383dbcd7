/**
 * What the ElbEmulator's service modules share: the route names, the record kept of each request, a
 * route's reply (and its two steps, auth checks then work), and `Responder`, which writes a reply and
 * closes the request's record.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FaultKind } from './faults.ts';

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

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Send an object body as is (no `request_id` added): IAM and the runner stand-in. */
  raw?: boolean;
}

/**
 * A route's authentication checks (an error reply, or undefined when they pass; they fill in the record's
 * auth fields) and its normal work.
 */
export interface RouteSteps {
  check: () => Reply | undefined;
  serve: () => Reply;
}

export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/** A string body as is; JSON otherwise, with `request_id` added to objects unless `raw`. */
export function bodyText(reply: Reply, requestId: string): string {
  if (typeof reply.body === 'string') return reply.body;
  return JSON.stringify(reply.raw === true ? reply.body : withRequestId(reply.body, requestId));
}

function withRequestId(body: unknown, requestId: string): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && !('request_id' in body)) {
    return { ...(body as Record<string, unknown>), request_id: requestId };
  }
  return body;
}

/** Writes replies with the emulator's clock and reports each finished record to `onRequest`. */
export class Responder {
  private readonly clock: () => number;
  private readonly onRequest: ((request: RecordedRequest) => void) | undefined;

  constructor(clock: () => number, onRequest: ((request: RecordedRequest) => void) | undefined) {
    this.clock = clock;
    this.onRequest = onRequest;
  }

  /** Sets the record's status (null: socket reset) and reports the record. */
  finish(record: RecordedRequest, status: number | null): void {
    record.status = status;
    this.onRequest?.(record);
  }

  /** Finishes the record with the reply's status, then sends the reply. */
  reply(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
    this.finish(record, reply.status);
    this.send(res, record.requestId, reply);
  }

  /** Sends JSON (objects get `request_id` when they lack one) or a string body as is. */
  send(res: ServerResponse, requestId: string, reply: Reply): void {
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
}
