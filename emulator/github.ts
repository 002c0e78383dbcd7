/**
 * GitHubStandIn: a real HTTP server on 127.0.0.1 that answers the two GitHub REST routes the action
 * uses to publish its check run, the way api.github.com answers them (token auth, missing
 * `checks: write` permission, JSON-schema validation, rate-limit headers). Use its base URL as
 * `GITHUB_API_URL` (or as `getOctokit(token, { baseUrl })`). Test and demo code only: never bundled.
 *
 *   const gh = new GitHubStandIn({ token: 'ghs_test' });
 *   const url = await gh.start();            // http://127.0.0.1:<port>
 *   // ... run the action with GITHUB_API_URL=url ...
 *   gh.runs.get(1);                          // the check run as GitHub would now show it
 *   await gh.stop();
 *
 * Error messages follow the shapes GitHub uses (`Invalid request.\n\n"name" wasn't supplied.`,
 * `Validation Failed` with an `errors` array, ...). The exact wording of the enum, date-time and
 * conditional-conclusion messages is illustrative.
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type Loopback, loopback } from './loopback.ts';

export const CHECK_RUN_STATUSES = ['queued', 'in_progress', 'completed'] as const;
export type CheckRunStatus = (typeof CHECK_RUN_STATUSES)[number];

export const CHECK_RUN_CONCLUSIONS = [
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'success',
  'skipped',
  'stale',
  'timed_out',
] as const;
export type CheckRunConclusion = (typeof CHECK_RUN_CONCLUSIONS)[number];

/** GitHub's limit on `output.summary` and `output.text`: in characters (schema) and in UTF-8 bytes. */
export const MAX_CHECK_OUTPUT_LENGTH = 65535;

/** The app a check run created with `GITHUB_TOKEN` belongs to. */
export const GITHUB_ACTIONS_APP = {
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  name: 'GitHub Actions',
} as const;

const DOCS = 'https://docs.github.com/rest';
const CREATE_DOCS = `${DOCS}/checks/runs#create-a-check-run`;
const UPDATE_DOCS = `${DOCS}/checks/runs#update-a-check-run`;
const RATE_LIMIT_DOCS = `${DOCS}/using-the-rest-api/rate-limits-for-the-rest-api`;

export interface CheckRunOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
  annotations_count: number;
  annotations_url: string;
}

/** A check run as the REST API returns it (the fields the stand-in keeps). */
export interface CheckRun {
  id: number;
  node_id: string;
  name: string;
  head_sha: string;
  external_id: string | null;
  url: string;
  html_url: string;
  details_url: string | null;
  status: CheckRunStatus;
  conclusion: CheckRunConclusion | null;
  /** `YYYY-MM-DDTHH:MM:SSZ`, like GitHub. */
  started_at: string | null;
  completed_at: string | null;
  output: CheckRunOutput;
  check_suite: { id: number };
  app: { id: number; slug: string; node_id: string; name: string };
  pull_requests: never[];
}

/** Which route answers 403 "Resource not accessible by integration" (no `checks: write`). */
export type GitHubDeny = 'all' | 'create' | 'update';

export interface GitHubStandInOptions {
  /** The only accepted token (`Authorization: token <t>` or `Bearer <t>`). */
  token: string;
  deny?: GitHubDeny;
  /** Answer every request with this status (GitHub-like JSON error body), before anything else. */
  failWith?: number;
  /** Clock in epoch ms for timestamps and the call record. Default Date.now. */
  now?: () => number;
  /** Requests allowed per window before 403 "API rate limit exceeded". Default 1000 (GITHUB_TOKEN's). */
  rateLimit?: number;
  /** Base of `html_url`. Default https://github.com. */
  htmlBaseUrl?: string;
}

export type GitHubRoute = 'create' | 'update';

/** One request as the stand-in saw and answered it. */
export interface GitHubCall {
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  /** null when the path is not a check-run route. */
  route: GitHubRoute | null;
  owner: string | null;
  repo: string | null;
  /** update: the id in the path; create: the new run's id (201 only). */
  id?: number;
  /** Parsed JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  status: number;
  headers: IncomingHttpHeaders;
  /** The `x-github-request-id` sent back. */
  requestId: string;
  time: number;
}

interface Answer {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Ruby-style rendering of a value inside a schema message (`nil`, `"text"`, `42`). */
function show(value: unknown): string {
  return value === null ? 'nil' : JSON.stringify(value);
}

function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function error(status: number, message: string, documentationUrl: string, extra: Json = {}): Answer {
  return {
    status,
    body: { message, ...extra, documentation_url: documentationUrl, status: String(status) },
  };
}

function newRequestId(): string {
  const hex = randomBytes(16).toString('hex').toUpperCase();
  return [hex.slice(0, 4), hex.slice(4, 10), hex.slice(10, 17), hex.slice(17, 24), hex.slice(24, 32)].join(
    ':',
  );
}

/** Schema problems of a create/update body, in GitHub's "Invalid request." wording. */
function schemaProblems(body: Json, route: GitHubRoute): string[] {
  const problems: string[] = [];
  const missing = (route === 'create' ? ['name', 'head_sha'] : []).filter((key) => !(key in body));
  if (missing.length > 0) problems.push(suppliedMessage(missing));
  const strings = ['name', 'head_sha', 'details_url', 'external_id', 'started_at', 'completed_at'];
  for (const key of strings) {
    if (key in body && typeof body[key] !== 'string') {
      problems.push(`For 'properties/${key}', ${show(body[key])} is not a string.`);
    }
  }
  for (const key of ['started_at', 'completed_at']) {
    const value = body[key];
    if (typeof value === 'string' && Number.isNaN(Date.parse(value))) {
      problems.push(`For 'properties/${key}', ${show(value)} is not a valid date-time.`);
    }
  }
  const enums: Array<[string, readonly string[]]> = [
    ['status', CHECK_RUN_STATUSES],
    ['conclusion', CHECK_RUN_CONCLUSIONS],
  ];
  for (const [key, members] of enums) {
    if (key in body && !members.includes(body[key] as string)) {
      problems.push(
        `For 'properties/${key}', ${show(body[key])} is not a member of [${members.map((m) => show(m)).join(', ')}].`,
      );
    }
  }
  if ('output' in body) {
    const output = body.output;
    if (!isObject(output)) {
      problems.push(`For 'properties/output', ${show(output)} is not an object.`);
    } else {
      const absent = ['title', 'summary'].filter((key) => !(key in output));
      if (absent.length > 0) problems.push(suppliedMessage(absent));
      for (const key of ['title', 'summary', 'text']) {
        const value = output[key];
        if (!(key in output)) continue;
        if (typeof value !== 'string') {
          problems.push(`For 'properties/${key}', ${show(value)} is not a string.`);
        } else if (key !== 'title') {
          const chars = [...value].length;
          if (chars > MAX_CHECK_OUTPUT_LENGTH) {
            problems.push(`Only ${MAX_CHECK_OUTPUT_LENGTH} characters are allowed; ${chars} were supplied.`);
          }
        }
      }
      if ('annotations' in output && !Array.isArray(output.annotations)) {
        problems.push(`For 'properties/annotations', ${show(output.annotations)} is not an array.`);
      }
    }
  }
  return problems;
}

function suppliedMessage(keys: string[]): string {
  const list = keys.map((k) => `"${k}"`).join(', ');
  return keys.length === 1 ? `${list} wasn't supplied.` : `${list} weren't supplied.`;
}

/** GitHub also limits the summary and text in UTF-8 bytes ("Validation Failed", code custom). */
function byteSizeErrors(output: unknown): Json[] {
  if (!isObject(output)) return [];
  const errors: Json[] = [];
  for (const field of ['summary', 'text']) {
    const value = output[field];
    if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_CHECK_OUTPUT_LENGTH) {
      errors.push({
        resource: 'CheckRun',
        code: 'custom',
        field,
        message: `${field} exceeds a maximum bytesize of ${MAX_CHECK_OUTPUT_LENGTH}`,
      });
    }
  }
  return errors;
}

export class GitHubStandIn {
  /** Change mid-test to simulate a token without `checks: write` (a fork's pull request). */
  deny: GitHubDeny | undefined;
  /** Change mid-test to make every request fail with this status. */
  failWith: number | undefined;
  /** Change mid-test to leave every request unanswered (recorded with status 0), as in an outage. */
  hang = false;
  /** Every request, in arrival order. */
  readonly calls: GitHubCall[] = [];
  /** The current state of each check run, by id. */
  readonly runs = new Map<number, CheckRun>();

  private readonly token: string;
  private readonly clock: () => number;
  private readonly rateLimit: number;
  private readonly htmlBaseUrl: string;
  private readonly suites = new Map<string, number>();
  /** `owner/repo` of each run: a run is found only under the repository it was created in. */
  private readonly repoOf = new Map<number, string>();
  private server: Loopback | undefined;
  private base = '';
  private nextId = 1;
  private used = 0;
  private readonly resetAt: number;

  constructor(options: GitHubStandInOptions) {
    if (options.token === '') throw new Error('GitHubStandIn: token must not be empty');
    this.token = options.token;
    this.deny = options.deny;
    this.failWith = options.failWith;
    this.clock = options.now ?? Date.now;
    this.rateLimit = options.rateLimit ?? 1000;
    this.htmlBaseUrl = options.htmlBaseUrl ?? 'https://github.com';
    this.resetAt = Math.floor(this.clock() / 1000) + 3600;
  }

  /** Listens on 127.0.0.1 and returns the base URL (`http://127.0.0.1:<port>`), for GITHUB_API_URL. */
  async start(port = 0): Promise<string> {
    if (this.server !== undefined) throw new Error('GitHubStandIn: already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        this.send(res, newRequestId(), error(500, `stand-in error: ${String(err)}`, DOCS));
      });
    });
    this.server = loopback(server, 'GitHubStandIn');
    this.base = await this.server.listen(port);
    return this.base;
  }

  /** The base URL (after start). */
  get url(): string {
    if (this.base === '') throw new Error('GitHubStandIn: not started');
    return this.base;
  }

  /** Closes the server and every connection, keep-alive ones included. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await server.close();
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = new URL(path, 'http://127.0.0.1').pathname;
    let parsed: unknown;
    let parseFailed = false;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
        parseFailed = true;
      }
    }
    const call: GitHubCall = {
      method,
      path,
      route: null,
      owner: null,
      repo: null,
      body: parsed,
      status: 0,
      headers: { ...req.headers },
      requestId: newRequestId(),
      time: this.clock(),
    };
    const match = /^\/repos\/([^/]+)\/([^/]+)\/check-runs(?:\/([^/]+))?$/.exec(pathname);
    if (match !== null) {
      call.owner = decode(match[1] ?? '');
      call.repo = decode(match[2] ?? '');
      const idText = match[3];
      if (idText === undefined && method === 'POST') call.route = 'create';
      if (idText !== undefined && method === 'PATCH' && /^\d+$/.test(idText)) {
        call.route = 'update';
        call.id = Number(idText);
      }
    }
    this.calls.push(call);
    if (this.hang) return;
    const answer = this.answer(call, req.headers.authorization, parseFailed);
    call.status = answer.status;
    // GitHub names the permission a route needs on the routes that need one.
    this.send(
      res,
      call.requestId,
      answer,
      call.route === null ? {} : { 'x-accepted-github-permissions': 'checks=write' },
    );
  }

  private answer(call: GitHubCall, authorization: string | undefined, parseFailed: boolean): Answer {
    if (this.failWith !== undefined) {
      return error(this.failWith, STATUS_CODES[this.failWith] ?? 'Error', DOCS);
    }
    const credentials =
      authorization === undefined ? undefined : /^(?:token|bearer)\s+(\S+)$/i.exec(authorization);
    if (authorization !== undefined && credentials?.[1] !== this.token) {
      return error(401, 'Bad credentials', DOCS);
    }
    const route = call.route;
    if (route === null) return error(404, 'Not Found', DOCS);
    const docs = route === 'create' ? CREATE_DOCS : UPDATE_DOCS;
    if (authorization === undefined) return error(401, 'Requires authentication', docs);
    this.used++;
    if (this.used > this.rateLimit) {
      return error(403, 'API rate limit exceeded for installation ID 1.', RATE_LIMIT_DOCS);
    }
    if (this.deny === 'all' || this.deny === route) {
      return error(403, 'Resource not accessible by integration', docs);
    }
    if (parseFailed) return error(400, 'Problems parsing JSON', docs);
    const body = call.body === undefined ? {} : call.body;
    if (!isObject(body)) return error(400, 'Body should be a JSON object', docs);
    const problems = schemaProblems(body, route);
    if (problems.length > 0) return error(422, `Invalid request.\n\n${problems.join('\n')}`, docs);
    const id = call.id ?? 0;
    const existing =
      route === 'update' && this.repoOf.get(id) === `${call.owner}/${call.repo}`
        ? this.runs.get(id)
        : undefined;
    if (route === 'update' && existing === undefined) return error(404, 'Not Found', docs);
    const completing =
      body.status === 'completed' || body.completed_at !== undefined || body.conclusion !== undefined;
    if (completing && body.conclusion === undefined && (existing?.conclusion ?? null) === null) {
      return error(422, `Invalid request.\n\n${suppliedMessage(['conclusion'])}`, docs);
    }
    const tooBig = byteSizeErrors(body.output);
    if (tooBig.length > 0) return error(422, 'Validation Failed', docs, { errors: tooBig });
    if (existing === undefined) {
      const run = this.create(call, body);
      call.id = run.id;
      return { status: 201, body: run };
    }
    return { status: 200, body: this.update(existing, body) };
  }

  private create(call: GitHubCall, body: Json): CheckRun {
    const id = this.nextId++;
    const owner = call.owner ?? '';
    const repo = call.repo ?? '';
    const headSha = body.head_sha as string;
    const suiteKey = `${owner}/${repo}@${headSha}`;
    if (!this.suites.has(suiteKey)) this.suites.set(suiteKey, this.suites.size + 1);
    const url = `${this.url}/repos/${owner}/${repo}/check-runs/${id}`;
    const run: CheckRun = {
      id,
      node_id: `CR_${Buffer.from(`CheckRun:${id}`).toString('base64url')}`,
      name: body.name as string,
      head_sha: headSha,
      external_id: null,
      url,
      html_url: `${this.htmlBaseUrl}/${owner}/${repo}/runs/${id}`,
      details_url: null,
      status: 'queued',
      conclusion: null,
      started_at: githubTime(this.clock()),
      completed_at: null,
      output: {
        title: null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      check_suite: { id: this.suites.get(suiteKey) ?? 0 },
      app: { ...GITHUB_ACTIONS_APP },
      pull_requests: [],
    };
    this.apply(run, body);
    this.runs.set(id, run);
    this.repoOf.set(id, `${owner}/${repo}`);
    return structuredClone(run);
  }

  private update(run: CheckRun, body: Json): CheckRun {
    this.apply(run, body);
    return structuredClone(run);
  }

  /** Merges a validated body into a run, with GitHub's rules for status, conclusion and times. */
  private apply(run: CheckRun, body: Json): void {
    if (typeof body.name === 'string') run.name = body.name;
    if (typeof body.details_url === 'string') run.details_url = body.details_url;
    if (typeof body.external_id === 'string') run.external_id = body.external_id;
    if (typeof body.started_at === 'string') run.started_at = githubTime(Date.parse(body.started_at));
    const status = body.status as CheckRunStatus | undefined;
    const conclusion = body.conclusion as CheckRunConclusion | undefined;
    const completedAt =
      typeof body.completed_at === 'string' ? githubTime(Date.parse(body.completed_at)) : undefined;
    if (conclusion !== undefined || status === 'completed' || completedAt !== undefined) {
      // Providing a conclusion (or completed_at) completes the run, whatever `status` says.
      run.status = 'completed';
      if (conclusion !== undefined) run.conclusion = conclusion;
      run.completed_at = completedAt ?? run.completed_at ?? githubTime(this.clock());
    } else if (status !== undefined) {
      run.status = status;
      run.conclusion = null;
      run.completed_at = null;
    }
    if (isObject(body.output)) {
      const output = body.output;
      if (typeof output.title === 'string') run.output.title = output.title;
      if (typeof output.summary === 'string') run.output.summary = output.summary;
      if (typeof output.text === 'string') run.output.text = output.text;
      if (Array.isArray(output.annotations)) run.output.annotations_count += output.annotations.length;
    }
  }

  private send(
    res: ServerResponse,
    requestId: string,
    answer: Answer,
    extra: Record<string, string> = {},
  ): void {
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      'x-github-request-id': requestId,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': String(this.rateLimit),
      'x-ratelimit-remaining': String(Math.max(0, this.rateLimit - this.used)),
      'x-ratelimit-used': String(Math.min(this.used, this.rateLimit)),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-resource': 'core',
      ...extra,
    });
    res.end(payload);
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
