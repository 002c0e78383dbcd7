/**
 * The action, wired: inputs, then the transport, IAM and ELB clients, the waiter, and the reports, connected through
 * the host's IO (`ActionIO`: `@actions/core` in `main.ts`, plain objects in tests). It decides nothing itself.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { formatDuration } from './domain/time.ts';
import type { Clock, Config, Result, WaitOutcome } from './domain/types.ts';
import { asError } from './errors.ts';
import { plainAuthorizer } from './huawei/auth.ts';
import { ElbClient } from './huawei/elb-client.ts';
import { HttpClient, type HttpClientOptions } from './huawei/http.ts';
import { authorizerFor, lookupProjectId } from './huawei/iam.ts';
import { clearTextWarnings, createDispatcher } from './huawei/transport.ts';
import { parseInputs } from './inputs/inputs.ts';
import { type CheckRun, openCheckRun } from './report/check-run.ts';
import { safeLog } from './report/log.ts';
import { ProgressLog } from './report/progress-log.ts';
import { type ReportIO, reportCrash, reportOutcome, reportProgress } from './report/report.ts';
import { Secrets } from './secrets.ts';
import { waitForJobs } from './wait/waiter.ts';

/** What the action needs from its host: `@actions/core` in production, plain objects in tests. */
export interface ActionIO extends ReportIO {
  getInput(name: string): string;
  env: Readonly<Record<string, string | undefined>>;
  setSecret(value: string): void;
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

/** What the log says the step waits for. */
function waitingFor(config: Config): string {
  if (config.jobIds.length) {
    return `${config.jobIds.length === 1 ? 'job' : `${config.jobIds.length} jobs`} ${config.jobIds.join(', ')}`;
  }
  const type = config.jobType ? ` of type ${config.jobType}` : '';
  const since = config.beginTime ? ` begun at or after ${config.beginTime}` : '';
  return `the newest job of resource ${config.resourceId}${type}${since}`;
}

/** Runs the action once; returns how it ended. Never throws: every ending writes outputs (and the summary). */
export async function runAction(host: ActionIO, deps: RunDeps = {}): Promise<Result> {
  const clock = deps.clock ?? realClock;
  const started = clock.now();
  const secrets = new Secrets((value) => host.setSecret(value));
  const redact = secrets.redact;
  // Every log line goes through this writer: redacted, one line, bounded, never a runner command.
  const io = safeLog(host, redact);
  let config: Config | undefined;
  let outcome: WaitOutcome | undefined;
  let ownDispatcher: Dispatcher | undefined;
  let checkRun: CheckRun | undefined;

  try {
    config = parseInputs(io, { secrets, warning: io.warning, debug: io.debug });
    for (const warning of clearTextWarnings(config)) io.warning(warning);
    // One keep-alive dispatcher for every request, GitHub's included, unless the caller brings one.
    const dispatcher = deps.dispatcher ?? createDispatcher(io.env, config.requestTimeoutMs);
    if (!deps.dispatcher) ownDispatcher = dispatcher;
    // What bounds every request: `timeout`, or for a single check (timeout 0) one request_timeout.
    const deadline = started + (config.timeoutMs === 0 ? config.requestTimeoutMs : config.timeoutMs);
    const common: Omit<HttpClientOptions, 'endpoint' | 'authorizer'> = {
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
        io.warning(`Request failed (${error.message}); retry ${attempt} in ${formatDuration(ms)}`),
    };
    const iam = new HttpClient({ ...common, endpoint: config.iamEndpoint, authorizer: plainAuthorizer });
    const authorizer = authorizerFor(config.credentials, {
      idTokenAvailable: Boolean(io.env.ACTIONS_ID_TOKEN_REQUEST_URL && io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
      getIdToken: (audience) => io.getIDToken(audience),
      iam,
      clock,
      setSecret: (value) => secrets.add(value),
      timeoutMs: config.timeoutMs,
      deadline,
      info: io.info,
    });
    let projectId = config.projectId;
    if (!projectId) {
      const region = config.region ?? '';
      projectId = await lookupProjectId(
        region,
        new HttpClient({ ...common, endpoint: config.iamEndpoint, authorizer }),
        deadline,
      );
      io.info(`Project ID for ${region}: ${projectId}`);
    }
    // Sharing the account's limit: jitter, and a slow-down when throttled (off only for comparisons in tests).
    const adaptive = io.env.ELB_JOB_WAIT_ADAPTIVE !== 'false';
    const elbHttp = new HttpClient({
      ...common,
      endpoint: config.endpoint,
      authorizer,
      retryThrottled: !adaptive,
    });
    const elb = new ElbClient(elbHttp, projectId, { clock, warning: io.warning });

    const what = waitingFor(config);
    io.info(
      config.timeoutMs === 0
        ? `Checking ${what} once`
        : `Waiting for ${what} (timeout ${formatDuration(config.timeoutMs)}, polls every ${formatDuration(config.pollIntervalMs)} to ${formatDuration(config.maxPollIntervalMs)})`,
    );
    const cfg = config;
    if (cfg.checkName) {
      checkRun = await openCheckRun(
        { ...cfg, checkName: cfg.checkName },
        { ...io, dispatcher },
        `Waiting for ${what}`,
      );
    }
    const progress = new ProgressLog(io);
    outcome = await waitForJobs(cfg, {
      clock,
      signal: deps.signal,
      list: (query, until) => elb.listJobs(query, until),
      random: deps.random,
      adaptive,
      events: {
        throttled: (intervalMs) =>
          io.notice(
            `Huawei Cloud's API gateway is throttling this account (HTTP 429): slowing down to a poll every ${formatDuration(intervalMs)} or less often while it lasts; the wait goes on`,
          ),
        jobFound: (job) =>
          io.info(`Found ${job.job_type ?? 'job'} job ${job.job_id} (began ${job.begin_time || 'unknown'})`),
        notListed: (jobId) =>
          io.notice(
            `${jobId ? `Job ${jobId} is not listed` : `No matching job for resource ${cfg.resourceId}`} yet; polling again until the timeout`,
          ),
        pollDone: ({ changes, elapsedMs, tracked }) => {
          progress.changes(changes, elapsedMs);
          if (checkRun && changes.length > 0)
            reportProgress(checkRun, { tracked, elapsedMs }, cfg, clock.now(), redact);
        },
        polled: ({ pending, elapsedMs, nextDelayMs }) => progress.heartbeat(pending, elapsedMs, nextDelayMs),
        unknownStatus: (status, jobId) =>
          io.warning(
            `Job ${jobId} reports status ${status}, unknown to this action: treated as in progress until the timeout`,
          ),
        pollFailed: (error) => io.warning(`Poll failed, will poll again: ${error.message}`),
      },
    });
  } catch (error) {
    outcome = {
      result: 'error',
      tracked: outcome?.tracked ?? [],
      error: asError(error),
      elapsedMs: clock.now() - started,
      polls: 0,
    };
  }
  // Without a check run to complete, the connection closes while the outputs and the summary are written: the step
  // ends sooner. With one, the dispatcher is destroyed once it is completed or given up on, so that a GitHub request
  // still hanging cannot hold the step open.
  const closing = checkRun ? undefined : ownDispatcher?.close().catch(() => undefined);
  try {
    return await reportOutcome(io, config, outcome, clock.now(), redact, checkRun);
  } catch (error) {
    // The last resort: whatever went wrong while reporting, the step still says so and sets its outputs.
    return await reportCrash(io, error, clock.now() - started, checkRun);
  } finally {
    await (closing ?? ownDispatcher?.destroy().catch(() => undefined));
  }
}
