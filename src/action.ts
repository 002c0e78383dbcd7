import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { type Authorizer, akskAuthorizer, plainAuthorizer, tokenAuthorizer } from './auth.ts';
import { CHECK_SUMMARY_LIMIT, CheckRun } from './check-run.ts';
import { formatDuration } from './duration.ts';
import { ElbClient } from './elb-client.ts';
import { ApiError, explain, HttpClient, type HttpClientOptions, ResponseFormatError } from './http.ts';
import { InputError, PROJECT_ID, parseInputs } from './inputs.ts';
import { safeLog } from './log.ts';
import { oidcAuthorizer } from './oidc.ts';
import { ProgressLog } from './progress-log.ts';
import { boundedOutputs, headline } from './report.ts';
import { escapeText, renderSummary, verdictLine } from './summary.ts';
import { createDispatcher } from './transport.ts';
import type { Clock, Config, Result } from './types.ts';
import { type TrackedJob, type WaitOutcome, waitForJobs } from './waiter.ts';

/** What the action needs from its host: `@actions/core` in production, plain objects in tests. */
export interface ActionIO {
  getInput(name: string): string;
  env: Readonly<Record<string, string | undefined>>;
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  debug(message: string): void;
  info(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  notice(message: string): void;
  warning(message: string): void;
  setFailed(message: string): void;
  writeSummary(markdown: string): Promise<void>;
  /** The workflow's OIDC ID token (`core.getIDToken`); needs `permissions: id-token: write`. */
  getIDToken(audience?: string): Promise<string>;
}

export interface RunDeps {
  clock?: Clock;
  /** Aborted on SIGINT/SIGTERM: polling stops and the last known state is reported. */
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  random?: () => number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    if (ms <= 0 || signal?.aborted) return;
    await delay(ms, undefined, { signal }).catch(() => undefined);
  },
};

const USER_AGENT = 'huaweicloud-elb-job-wait';
/** Completing the check run may take this long; less when cancelled, so the step still ends within 5 s. */
const COMPLETE_CHECK_MS = 10_000;
const CANCELLED_CHECK_MS = 2_500;

/** Replaces every secret value in a text with `***`. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  return (text) => {
    let out = text;
    for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
    return out;
  };
}

function authorizerFor(
  config: Config,
  io: ActionIO,
  common: Omit<HttpClientOptions, 'endpoint'>,
  setSecret: (value: string) => void,
  deadline: number,
): Authorizer {
  const c = config.credentials;
  if (c.kind === 'token') return tokenAuthorizer(c.authToken);
  if (c.kind === 'aksk') return akskAuthorizer(c);
  if (!io.env.ACTIONS_ID_TOKEN_REQUEST_URL || !io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new Error(
      'idp_id is set, but this job cannot request an OIDC ID token (ACTIONS_ID_TOKEN_REQUEST_URL is not set). ' +
        'Add `permissions: id-token: write` to the workflow or the job; pull requests from forks never get one, ' +
        'so use repository secrets (access_key/secret_key) there.',
    );
  }
  return oidcAuthorizer({
    idpId: c.idpId,
    audience: c.audience,
    getIdToken: (audience) => io.getIDToken(audience),
    iam: new HttpClient({ ...common, endpoint: config.iamEndpoint, authorizer: plainAuthorizer }),
    clock: common.clock,
    setSecret,
    timeoutMs: config.timeoutMs,
    deadline,
    info: io.info,
  });
}

/** `GET {iam}/v3/projects?name=<region>`: the project ID of the region, when `project_id` is not given. */
async function resolveProjectId(config: Config, http: HttpClient, deadline: number): Promise<string> {
  const region = config.region as string;
  let body: { projects?: unknown[] } | null;
  try {
    body = (await http.getJson('/v3/projects', [['name', region]], { deadline })) as typeof body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      throw explain(
        error,
        `IAM refused to list the projects of ${region} (needed because project_id is not set)`,
        'Set project_id (the console lists it under My Credentials > API Credentials) or grant the credentials ' +
          'permission to list projects (iam:projects:list).',
      );
    }
    throw error;
  }
  if (!Array.isArray(body?.projects)) {
    throw new ResponseFormatError('IAM project lookup answered without a "projects" array', 200, '', false);
  }
  const projects = body.projects.filter(
    (p): p is { id?: unknown; name?: unknown } => typeof p === 'object' && p !== null,
  );
  const match = projects.find((p) => p.name === region) ?? projects[0];
  if (match?.id === undefined || match.id === null || match.id === '') {
    throw new InputError(
      'project_id',
      `IAM lists no project named '${region}' for these credentials; set project_id explicitly`,
      'project_id: 0123456789abcdef0123456789abcdef',
    );
  }
  // The ID goes into every ELB request's path and X-Project-Id header: only a project ID's shape is used.
  if (typeof match.id !== 'string' || !PROJECT_ID.test(match.id)) {
    throw new ResponseFormatError(
      `IAM's project lookup for ${region} answered with a project ID that is not one (${typeof match.id === 'string' ? `${match.id.length} characters, not letters, digits and '-'` : `a ${typeof match.id}`}); set project_id explicitly`,
      200,
      '',
      false,
    );
  }
  return match.id;
}

/** Runs the action once; returns how it ended. Never throws: every ending writes outputs (and the summary). */
export async function runAction(host: ActionIO, deps: RunDeps = {}): Promise<Result> {
  const clock = deps.clock ?? realClock;
  const started = clock.now();
  const secrets: string[] = [];
  const setSecret = (value: string) => {
    secrets.push(value);
    host.setSecret(value);
  };
  const redact = redactor(secrets);
  // Every log line goes through this writer: redacted, one line, bounded, never a runner command.
  const io = safeLog(host, redact);
  let config: Config | undefined;
  let outcome: WaitOutcome | undefined;
  let ownDispatcher: Dispatcher | undefined;
  let checkRun: CheckRun | undefined;

  try {
    config = parseInputs(io, { setSecret, warning: io.warning, debug: io.debug });
    warnClearText(config, io.warning);
    // One keep-alive dispatcher for every request, GitHub's included, unless the caller brings one.
    if (!deps.dispatcher) ownDispatcher = createDispatcher(io.env, config.requestTimeoutMs);
    const dispatcher = deps.dispatcher ?? (ownDispatcher as Dispatcher);
    // What bounds every request: `timeout`, or for a single check (timeout 0) one request_timeout.
    const deadline = started + (config.timeoutMs === 0 ? config.requestTimeoutMs : config.timeoutMs);
    const common: Omit<HttpClientOptions, 'endpoint'> = {
      authorizer: plainAuthorizer,
      dispatcher,
      requestTimeoutMs: config.requestTimeoutMs,
      clock,
      redact,
      random: deps.random,
      signal: deps.signal,
      userAgent: USER_AGENT,
      onRequest: (r) =>
        io.debug(
          `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} -> ${r.status} (request ID ${r.requestId || 'none'}, ${r.ms} ms)`,
        ),
      onRetry: (error, attempt, ms) =>
        io.warning(`Request failed (${redact(error.message)}); retry ${attempt} in ${formatDuration(ms)}`),
    };
    common.authorizer = authorizerFor(config, io, common, setSecret, deadline);
    let projectId = config.projectId;
    if (!projectId) {
      projectId = await resolveProjectId(
        config,
        new HttpClient({ ...common, endpoint: config.iamEndpoint }),
        deadline,
      );
      io.info(`Project ID for ${config.region}: ${projectId}`);
    }
    const elb = new ElbClient(new HttpClient({ ...common, endpoint: config.endpoint }), projectId, {
      clock,
      warning: io.warning,
    });

    const what = config.jobIds.length
      ? `${config.jobIds.length === 1 ? 'job' : `${config.jobIds.length} jobs`} ${config.jobIds.join(', ')}`
      : `the newest job of resource ${config.resourceId}${config.jobType ? ` of type ${config.jobType}` : ''}${config.beginTime ? ` begun at or after ${config.beginTime}` : ''}`;
    io.info(
      config.timeoutMs === 0
        ? `Checking ${what} once`
        : `Waiting for ${what} (timeout ${formatDuration(config.timeoutMs)}, polls every ${formatDuration(config.pollIntervalMs)} to ${formatDuration(config.maxPollIntervalMs)})`,
    );
    if (config.checkName) checkRun = await startCheckRun(config, io, dispatcher, `Waiting for ${what}`);
    const progress = new ProgressLog(io);
    const cfg = config;
    const showProgress = (tracked: TrackedJob[], elapsedMs: number) => {
      if (!checkRun) return;
      const now = clock.now();
      const current: WaitOutcome = { result: 'success', tracked, elapsedMs, polls: 0 };
      const text = renderSummary({
        ...summaryPlace(cfg),
        outcome: current,
        failOn: cfg.failOn,
        now,
        headline: `Still waiting after ${formatDuration(elapsedMs)}`,
        inProgress: true,
        limitBytes: CHECK_SUMMARY_LIMIT,
      });
      checkRun.update(redact(verdictLine(current, now, true)), redact(text));
    };
    outcome = await waitForJobs(config, {
      clock,
      signal: deps.signal,
      list: (query, deadline) => elb.listJobs(query, deadline),
      events: {
        jobFound: (job) =>
          io.info(`Found ${job.job_type ?? 'job'} job ${job.job_id} (began ${job.begin_time || 'unknown'})`),
        notListed: (jobId) =>
          io.notice(
            `${jobId ? `Job ${jobId} is not listed` : `No matching job for resource ${cfg.resourceId}`} yet; polling again until the timeout`,
          ),
        pollDone: ({ changes, elapsedMs, tracked }) => {
          progress.changes(changes, elapsedMs);
          if (changes.length > 0) showProgress(tracked, elapsedMs);
        },
        polled: ({ pending, elapsedMs, nextDelayMs }) => progress.heartbeat(pending, elapsedMs, nextDelayMs),
        unknownStatus: (status, jobId) =>
          io.warning(
            `Job ${jobId} reports status ${status}, unknown to this action: treated as in progress until the timeout`,
          ),
        pollFailed: (error) => io.warning(`Poll failed, will poll again: ${redact(error.message)}`),
      },
    });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    outcome = {
      result: 'error',
      tracked: outcome?.tracked ?? [],
      error: err,
      elapsedMs: clock.now() - started,
      polls: 0,
    };
  }
  // Without a check run to complete, the connection closes while the outputs and the summary are written: the step
  // ends sooner. With one, the dispatcher is destroyed once it is completed or given up on, so that a GitHub request
  // still hanging cannot hold the step open.
  const closing = checkRun ? undefined : ownDispatcher?.close().catch(() => undefined);
  try {
    return await finish(io, config, outcome, clock, redact, checkRun);
  } catch (error) {
    // The last resort: whatever went wrong while reporting, the step still says so and sets its outputs.
    return await lastResort(io, error, clock.now() - started, checkRun);
  } finally {
    await (closing ?? ownDispatcher?.destroy().catch(() => undefined));
  }
}

/** Ends the step after an unexpected exception: outputs, summary, check run, one error line; never throws. */
export async function lastResort(
  io: Pick<ActionIO, 'setOutput' | 'writeSummary' | 'setFailed'>,
  error: unknown,
  elapsedMs: number,
  checkRun?: CheckRun,
): Promise<'error'> {
  const message = `Unexpected error: ${errorMessage(error)}`;
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch {
      // Nothing more can be reported than what the other steps report.
    }
  };
  await attempt(() => io.setOutput('result', 'error'));
  await attempt(() => io.setOutput('elapsed_seconds', String(Math.round(elapsedMs / 1000))));
  await attempt(() => io.writeSummary(`## ⚠️ ERROR\n\n${escapeText(message)}\n`));
  await attempt(() => checkRun?.complete('error', 'ERROR', escapeText(message), CANCELLED_CHECK_MS));
  await attempt(() => io.setFailed(message));
  return 'error';
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'an unexpected value was thrown';
}

/** True for an address that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/** A plain-HTTP endpoint off this machine: signatures, tokens and temporary credentials would travel in clear. */
function warnClearText(config: Config, warning: (message: string) => void): void {
  const usesIam = !config.projectId || config.credentials.kind === 'oidc';
  const endpoints: Array<[string, string]> = [['endpoint', config.endpoint]];
  if (usesIam) endpoints.push(['iam_endpoint', config.iamEndpoint]);
  for (const [input, value] of endpoints) {
    const url = new URL(value);
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      warning(
        `${input} uses plain http:// to ${url.hostname}: credentials, tokens and signed requests travel in clear. ` +
          'Use https:// unless this network is private and trusted.',
      );
    }
  }
}

/** Where the jobs live, for the summary's console links. */
function summaryPlace(config: Config): { region?: string; endpoint?: string } {
  return { region: config.region, endpoint: config.endpoint };
}

/** Reads the event payload the runner left in GITHUB_EVENT_PATH (a pull request's head SHA is there). */
function eventPayload(env: ActionIO['env']): unknown {
  try {
    return env.GITHUB_EVENT_PATH ? JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

async function startCheckRun(
  config: Config,
  io: ActionIO,
  dispatcher: Dispatcher,
  waiting: string,
): Promise<CheckRun | undefined> {
  if (!config.githubToken) {
    io.warning('check_name is set but github_token is empty: no check run (the job summary has the report)');
    return undefined;
  }
  const checkRun = new CheckRun({
    name: config.checkName as string,
    token: config.githubToken,
    env: io.env,
    payload: eventPayload(io.env),
    warning: io.warning,
    debug: io.debug,
    dispatcher,
  });
  await checkRun.start(waiting, `${waiting}.`);
  return checkRun;
}

async function finish(
  io: ActionIO,
  config: Config | undefined,
  outcome: WaitOutcome,
  clock: Clock,
  redact: (t: string) => string,
  checkRun: CheckRun | undefined,
): Promise<Result> {
  const line = redact(headline(outcome, config?.timeoutMs ?? 0));
  const { values, warnings } = boundedOutputs(outcome);
  for (const [name, value] of Object.entries(values)) io.setOutput(name, redact(value));
  for (const warning of warnings) io.warning(warning);
  const now = clock.now();
  const render = (limitBytes?: number) =>
    redact(
      renderSummary({
        ...(config ? summaryPlace(config) : {}),
        outcome,
        failOn: config?.failOn ?? [],
        now,
        headline: line,
        limitBytes,
      }),
    );
  const markdown = render();
  if (config?.summary !== false) {
    try {
      await io.writeSummary(markdown);
    } catch (error) {
      io.warning(`Could not write the job summary: ${errorMessage(error)}`);
    }
  }
  // The check run shows the job summary's text; cut properly when it is over the check run's limit.
  const checkText =
    checkRun && Buffer.byteLength(markdown) > CHECK_SUMMARY_LIMIT
      ? render(CHECK_SUMMARY_LIMIT - 1_000)
      : markdown;
  await checkRun?.complete(
    outcome.result,
    redact(verdictLine(outcome, now)),
    checkText,
    outcome.result === 'cancelled' ? CANCELLED_CHECK_MS : COMPLETE_CHECK_MS,
  );
  if (outcome.result === 'success') io.info(line);
  else io.setFailed(line);
  return outcome.result;
}
