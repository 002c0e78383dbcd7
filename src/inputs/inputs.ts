/**
 * Reads, validates and normalises the action's inputs into a `Config`, before any request is made. Credentials are
 * resolved in `credentials.ts`, durations and date-times parsed in `time.ts`, default endpoints taken from
 * `regions.ts`.
 *
 * Free of `@actions/core`: the entry point passes `core.getInput` and `process.env` in through `InputSource`, and the
 * secrets registry and `core.warning` through `InputHooks`, so every rule here is testable on its own.
 */
import { IN_PROGRESS, PROJECT_ID, REGION, TERMINAL } from '../domain/jobs.ts';
import { GLOBAL_IAM_ENDPOINT, regionEndpoints } from '../domain/regions.ts';
import { formatDuration, normaliseBeginTime, parseDuration } from '../domain/time.ts';
import type { Config, StatusName } from '../domain/types.ts';
import { errorMessage } from '../errors.ts';
import { readSecrets, resolveCredentials, type SecretValues } from './credentials.ts';
import {
  describe,
  EXAMPLES,
  InputError,
  type InputHooks,
  type InputSource,
  inputOrEnv,
  type Sourced,
} from './source.ts';

export { InputError, type InputHooks, type InputSource } from './source.ts';

/** What `action.yml` declares; an input left empty ('') gets these too. */
export const DEFAULTS = {
  timeout: '60m',
  poll_interval: '5s',
  max_poll_interval: '30s',
  request_timeout: '30s',
  fail_on: 'FAIL,ROLLBACK_FAIL',
  fail_fast: 'true',
  summary: 'true',
} as const;

/** Floors and ceiling of the durations (ms). */
export const MIN_POLL_INTERVAL_MS = 100;
export const MIN_REQUEST_TIMEOUT_MS = 1000;
/** 576h (24 days): below Node's timer limit of 2^31-1 ms, far above any job's life. */
export const MAX_DURATION_MS = 576 * 3_600_000;

/** `fail_on` accepts only terminal statuses. */
export const FAIL_ON_STATUSES: readonly StatusName[] = TERMINAL;

const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The default ELB endpoint of a region (`regions.ts`). */
export function defaultEndpoint(region: string): string {
  return regionEndpoints(region).elb;
}

/** Splits a comma- and/or newline-separated list; blanks dropped, duplicates removed, order kept. */
function splitList(text: string): string[] {
  const seen = new Set<string>();
  for (const item of text.split(/[,\r\n]+/)) {
    const trimmed = item.trim();
    if (trimmed !== '') seen.add(trimmed);
  }
  return [...seen];
}

function validateId(input: 'job_id' | 'resource_id', value: string, what: string): void {
  if (!RESOURCE_ID.test(value)) {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    const why = /\s/.test(value)
      ? 'it contains whitespace'
      : value.length > 128
        ? 'it is longer than 128 characters'
        : 'use letters, digits, - and _ only, starting with a letter or digit';
    throw new InputError({
      input,
      problem: `'${shown}' is not a valid ${what} (${why})`,
      example: EXAMPLES[input],
    });
  }
}

/** An endpoint URL: http(s), no credentials, query or fragment; trailing slashes removed; a path is kept. */
function parseEndpoint(input: 'endpoint' | 'iam_endpoint', sourced: Sourced): string {
  // The value is not echoed: a URL could carry credentials or a signed query.
  const origin = sourced.from === 'input' ? 'the value' : `the value (from ${sourced.from})`;
  const url = URL.parse(sourced.value);
  if (!url) {
    throw new InputError({ input, problem: `${origin} is not an absolute URL`, example: EXAMPLES[input] });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError({
      input,
      problem: `${origin} must use https: or http:, not ${url.protocol}`,
      example: EXAMPLES[input],
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError({
      input,
      problem: `${origin} must not contain credentials (user:password@)`,
      example: EXAMPLES[input],
    });
  }
  if (url.search !== '' || sourced.value.includes('?')) {
    throw new InputError({
      input,
      problem: `${origin} must not contain a query string (?...)`,
      example: EXAMPLES[input],
    });
  }
  if (url.hash !== '' || sourced.value.includes('#')) {
    throw new InputError({
      input,
      problem: `${origin} must not contain a fragment (#...)`,
      example: EXAMPLES[input],
    });
  }
  if (url.hostname === '') {
    throw new InputError({ input, problem: `${origin} has no host name`, example: EXAMPLES[input] });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

type DurationInput = 'timeout' | 'poll_interval' | 'max_poll_interval' | 'request_timeout';

/** A duration input (its default when empty), between `minMs` and 576h. */
function readDuration(source: InputSource, input: DurationInput, minMs = 0): { ms: number; text: string } {
  const text = source.getInput(input) || DEFAULTS[input];
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    const message = errorMessage(error);
    throw new InputError({
      input,
      problem: message.charAt(0).toLowerCase() + message.slice(1),
      example: EXAMPLES[input],
    });
  }
  if (ms < minMs) {
    throw new InputError({
      input,
      problem: `'${text}' is too short: at least ${formatDuration(minMs)}`,
      example: EXAMPLES[input],
    });
  }
  if (ms > MAX_DURATION_MS) {
    throw new InputError({
      input,
      problem: `'${text}' is too long: at most 576h (24 days)`,
      example: EXAMPLES[input],
    });
  }
  return { ms, text };
}

function readBoolean(source: InputSource, input: 'fail_fast' | 'summary'): boolean {
  const text = source.getInput(input) || DEFAULTS[input];
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  throw new InputError({
    input,
    problem: `'${shown}' is not a boolean (use true or false)`,
    example: EXAMPLES[input],
  });
}

function readFailOn(source: InputSource): StatusName[] {
  const text = source.getInput('fail_on') || DEFAULTS.fail_on;
  const accepted = FAIL_ON_STATUSES.join(', ');
  const statuses: StatusName[] = [];
  for (const item of splitList(text)) {
    const status = item.toUpperCase();
    if (IN_PROGRESS.includes(status)) {
      throw new InputError({
        input: 'fail_on',
        problem: `'${item}' is an in-progress status, not a terminal one (accepted: ${accepted})`,
        example: EXAMPLES.fail_on,
      });
    }
    if (!(FAIL_ON_STATUSES as readonly string[]).includes(status)) {
      const shown = item.length > 40 ? `${item.slice(0, 37)}...` : item;
      throw new InputError({
        input: 'fail_on',
        problem: `unknown status '${shown}' (accepted: ${accepted})`,
        example: EXAMPLES.fail_on,
      });
    }
    if (!statuses.includes(status as StatusName)) statuses.push(status as StatusName);
  }
  if (statuses.length === 0) {
    throw new InputError({
      input: 'fail_on',
      problem: `no status is listed (accepted: ${accepted})`,
      example: EXAMPLES.fail_on,
    });
  }
  return statuses;
}

/**
 * Validates every input and returns the `Config`, or throws an `InputError` for the first bad one.
 * Secrets are read and added to `hooks.secrets` first, before any warning or error can be produced.
 * `now` (ms since the epoch) only serves the warning about a `begin_time` in the future.
 */
export function parseInputs(source: InputSource, hooks: InputHooks, now: () => number = Date.now): Config {
  const secrets = readSecrets(source, hooks);
  // Belt and braces: no message leaves this function with a secret in it, whatever the value was pasted into.
  const redact = hooks.secrets.redact;
  const safeHooks: InputHooks = {
    secrets: hooks.secrets,
    warning: (message) => hooks.warning(redact(message)),
    debug: (message) => hooks.debug?.(redact(message)),
  };
  try {
    return parseAfterSecrets(source, safeHooks, secrets, now);
  } catch (error) {
    if (error instanceof Error) error.message = redact(error.message);
    throw error;
  }
}

function parseAfterSecrets(
  source: InputSource,
  hooks: InputHooks,
  secrets: SecretValues,
  now: () => number,
): Config {
  const credentials = resolveCredentials(source, hooks, secrets);

  // Where: region, endpoint, project.
  const region = inputOrEnv(source, 'region', ['HUAWEICLOUD_SDK_REGION', 'HUAWEI_CLOUD_REGION']);
  if (region && !REGION.test(region.value)) {
    const hint = REGION.test(region.value.toLowerCase())
      ? 'write it in lower case'
      : 'expected e.g. cn-north-4';
    throw new InputError({
      input: 'region',
      problem: `${describe(region)} is not a region ID (${hint})`,
      example: EXAMPLES.region,
    });
  }
  const endpointInput = source.getInput('endpoint');
  const iam = inputOrEnv(source, 'iam_endpoint', ['HUAWEICLOUD_SDK_IAM_ENDPOINT']);
  const defaults = region ? regionEndpoints(region.value) : undefined;
  if (defaults?.fallback && (endpointInput === '' || !iam)) {
    hooks.debug?.(`${defaults.fallback}; using ${defaults.elb} and ${defaults.iam} unless overridden`);
  }
  let endpoint: string;
  if (endpointInput !== '') {
    endpoint = parseEndpoint('endpoint', { value: endpointInput, from: 'input' });
  } else if (defaults) {
    endpoint = defaults.elb;
  } else {
    throw new InputError({
      input: 'region',
      problem:
        'no region is set (input, or env HUAWEICLOUD_SDK_REGION or HUAWEI_CLOUD_REGION) and no endpoint is given',
      example: EXAMPLES.region,
    });
  }
  const iamEndpoint = iam ? parseEndpoint('iam_endpoint', iam) : (defaults?.iam ?? GLOBAL_IAM_ENDPOINT);

  const project = inputOrEnv(source, 'project_id', ['HUAWEICLOUD_SDK_PROJECT_ID', 'HUAWEI_CLOUD_PROJECT_ID']);
  if (project && !PROJECT_ID.test(project.value)) {
    const shown: Sourced = {
      value: project.value.length > 70 ? `${project.value.slice(0, 67)}...` : project.value,
      from: project.from,
    };
    throw new InputError({
      input: 'project_id',
      problem: `${describe(shown)} is not a project ID (letters, digits and -, at most 64)`,
      example: EXAMPLES.project_id,
    });
  }
  if (!project && !region) {
    throw new InputError({
      input: 'project_id',
      problem:
        'no project_id is set, and it cannot be looked up through IAM without a region (set project_id, or region)',
      example: EXAMPLES.project_id,
    });
  }

  // What: job IDs, or the newest job of a resource.
  const jobIds = splitList(source.getInput('job_id'));
  for (const id of jobIds) validateId('job_id', id, 'job ID');
  const resourceInput = source.getInput('resource_id');
  if (resourceInput !== '') validateId('resource_id', resourceInput, 'resource ID');
  if (jobIds.length === 0 && resourceInput === '') {
    throw new InputError({
      input: 'job_id',
      problem:
        'neither job_id nor resource_id is set: set job_id to the job ID returned by the upgrade or copy call, ' +
        'or resource_id to wait for the newest job of a load balancer',
      example: EXAMPLES.job_id,
    });
  }
  if (jobIds.length > 0 && resourceInput !== '') {
    hooks.warning('Both job_id and resource_id are set: waiting for job_id, resource_id is ignored.');
  }
  const resourceId = jobIds.length === 0 ? resourceInput : undefined;

  const jobType = source.getInput('job_type');
  if (jobType !== '' && !/^[\x21-\x7e]{1,128}$/.test(jobType)) {
    throw new InputError({
      input: 'job_type',
      problem: `'${jobType.slice(0, 40)}' is not a job type (no whitespace, printable ASCII, at most 128)`,
      example: EXAMPLES.job_type,
    });
  }

  const beginTimeInput = source.getInput('begin_time');
  let beginTime: string | undefined;
  if (beginTimeInput !== '') {
    try {
      beginTime = normaliseBeginTime(beginTimeInput);
    } catch (error) {
      throw new InputError({
        input: 'begin_time',
        problem: errorMessage(error),
        example: EXAMPLES.begin_time,
      });
    }
    const aheadMs = Date.parse(`${beginTime}Z`) - now();
    if (aheadMs > 60_000) {
      hooks.warning(
        `begin_time ${beginTime} (UTC) is ${formatDuration(aheadMs)} in the future: no job started then yet. ` +
          'A time without a zone is taken as UTC; add one, e.g. +08:00.',
      );
    }
  }

  // How long and how often.
  const timeout = readDuration(source, 'timeout');
  const poll = readDuration(source, 'poll_interval', MIN_POLL_INTERVAL_MS);
  const maxPoll = readDuration(source, 'max_poll_interval');
  let maxPollMs = maxPoll.ms;
  if (maxPollMs < poll.ms) {
    const maxPollInput = source.getInput('max_poll_interval');
    if (maxPollInput === '' || maxPollInput === DEFAULTS.max_poll_interval) {
      // The runner fills in the default: a poll_interval above it just means "no backoff".
      maxPollMs = poll.ms;
    } else {
      throw new InputError({
        input: 'max_poll_interval',
        problem: `'${maxPoll.text}' is shorter than poll_interval '${poll.text}': the ceiling must be at least the first delay`,
        example: formatDuration(Math.min(poll.ms * 4, MAX_DURATION_MS)).replace(/ /g, ''),
      });
    }
  }
  const request = readDuration(source, 'request_timeout', MIN_REQUEST_TIMEOUT_MS);

  // Outcome and reporting.
  const failOn = readFailOn(source);
  const failFast = readBoolean(source, 'fail_fast');
  const summary = readBoolean(source, 'summary');
  const checkName = source.getInput('check_name');
  if (/[\r\n]/.test(checkName)) {
    throw new InputError({
      input: 'check_name',
      problem: 'the name must be a single line',
      example: EXAMPLES.check_name,
    });
  }

  return {
    region: region?.value,
    projectId: project?.value,
    endpoint,
    iamEndpoint,
    credentials,
    jobIds,
    resourceId,
    jobType: jobType || undefined,
    beginTime,
    timeoutMs: timeout.ms,
    pollIntervalMs: poll.ms,
    maxPollIntervalMs: maxPollMs,
    requestTimeoutMs: request.ms,
    failOn,
    failFast,
    summary,
    checkName: checkName || undefined,
    githubToken: secrets.githubToken || undefined,
  };
}
