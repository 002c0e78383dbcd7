/**
 * Reads, validates and normalises the action's inputs into a `Config`, before any request is made.
 *
 * Free of `@actions/core`: the entry point passes `core.getInput`, `process.env`, `core.setSecret` and
 * `core.warning` in through `InputSource` and `InputHooks`, so every rule here is testable on its own.
 */

import { formatDuration, parseDuration } from './duration.ts';
import { GLOBAL_IAM_ENDPOINT, regionEndpoints } from './regions.ts';
import type { Config, Credentials, StatusName } from './types.ts';

export interface InputSource {
  /** Like `core.getInput`: '' when unset, already trimmed. */
  getInput(name: string): string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface InputHooks {
  /** Called the moment a secret value is read, before anything is logged. */
  setSecret(value: string): void;
  warning(message: string): void;
  debug?(message: string): void;
}

/** A bad input. The message names the input, says what is wrong and shows a valid example; never a secret. */
export class InputError extends Error {
  readonly input: string;

  constructor(input: string, problem: string, example: string) {
    super(`Input '${input}': ${problem}. Example: ${input}: ${example}`);
    this.name = 'InputError';
    this.input = input;
  }
}

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

export const DEFAULT_IAM_ENDPOINT = GLOBAL_IAM_ENDPOINT;

/** Floors and ceiling of the durations (ms). */
export const MIN_POLL_INTERVAL_MS = 100;
export const MIN_REQUEST_TIMEOUT_MS = 1000;
/** 576h (24 days): below Node's timer limit of 2^31-1 ms, far above any job's life. */
export const MAX_DURATION_MS = 576 * 3_600_000;

/** `fail_on` accepts only terminal statuses. */
export const FAIL_ON_STATUSES: readonly StatusName[] = [
  'FAIL',
  'ROLLBACK_FAIL',
  'CANCEL',
  'SUCCESS',
  'COMPLETE',
];
const IN_PROGRESS_STATUSES = ['INIT', 'RUNNING', 'ROLLBACKING'];

const REGION = /^[a-z]{2}-[a-z]+-\d{1,3}$/;
export const PROJECT_ID = /^[A-Za-z0-9-]{1,64}$/;
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const IDP_ID = /^[A-Za-z0-9_.-]{1,128}$/;
/** Printable ASCII without spaces: what an access key or a header token can be made of. */
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/** `${{ secrets.NAME }}`, as a workflow would write it. */
const secretRef = (name: string): string => `\${{ secrets.${name} }}`;

const EXAMPLES = {
  region: 'cn-north-4',
  project_id: '7b7705dce1e847b08b3b16dda67fec24',
  endpoint: 'https://elb.cn-north-4.myhuaweicloud.com',
  iam_endpoint: DEFAULT_IAM_ENDPOINT,
  access_key: secretRef('HUAWEICLOUD_AK'),
  secret_key: secretRef('HUAWEICLOUD_SK'),
  security_token: secretRef('HUAWEICLOUD_SECURITY_TOKEN'),
  auth_token: secretRef('HUAWEICLOUD_AUTH_TOKEN'),
  idp_id: 'github-actions',
  job_id: 'ef6da45b-35d9-4c18-8c35-0b80d94ab9e6',
  resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50',
  job_type: 'UPGRADE',
  begin_time: '2024-03-23T08:20:42Z',
  timeout: '15m',
  poll_interval: '5s',
  max_poll_interval: '30s',
  request_timeout: '30s',
  fail_on: 'FAIL,ROLLBACK_FAIL,CANCEL',
  fail_fast: 'false',
  summary: 'false',
  check_name: 'ELB upgrade',
} as const;

/** The default ELB endpoint of a region (`regions.ts`). */
export function defaultEndpoint(region: string): string {
  return regionEndpoints(region).elb;
}

// ---------------------------------------------------------------------------------------------------------
// begin_time

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Normalises `begin_time` to the API's UTC `yyyy-MM-ddTHH:mm:ss`. Accepts that format itself (taken as UTC)
 * and ISO-8601 / RFC 3339 date-times with a zone (`Z`, `+08:00`, `+0800`), with optional fractional seconds
 * (dropped). `T` may also be a space. Throws an Error saying what is wrong.
 */
export function normaliseBeginTime(text: string): string {
  const input = text.trim();
  const shown = input.length > 40 ? `${input.slice(0, 37)}...` : input;
  const m = DATE_TIME.exec(input);
  if (!m) {
    const hint = /^\d{4}-\d{2}-\d{2}$/.test(input)
      ? 'a date alone is not enough, add the time'
      : 'expected yyyy-MM-ddTHH:mm:ss, optionally with a zone (Z, +08:00)';
    throw new Error(`'${shown}' is not a date-time: ${hint}`);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new Error(`'${shown}' is not a date-time: there is no such day`);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new Error(`'${shown}' is not a date-time: the time of day is out of range`);
  }
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) {
      throw new Error(`'${shown}' is not a date-time: the zone offset is out of range`);
    }
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps the years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const utcYear = date.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) {
    throw new Error(`'${shown}' is not a date-time: the year is out of range in UTC`);
  }
  return (
    `${pad(utcYear, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// helpers

/** A value and where it came from, for messages: `input` or `env NAME`. */
interface Sourced {
  value: string;
  from: string;
}

function envValue(source: InputSource, name: string): string {
  return (source.env[name] ?? '').trim();
}

/** The input, else the first non-empty environment variable of `envNames`. */
function inputOrEnv(source: InputSource, input: string, envNames: readonly string[]): Sourced | undefined {
  const value = source.getInput(input);
  if (value !== '') return { value, from: 'input' };
  for (const name of envNames) {
    const fromEnv = envValue(source, name);
    if (fromEnv !== '') return { value: fromEnv, from: `env ${name}` };
  }
  return undefined;
}

/** `'value'`, or `'value' (from env NAME)` when it did not come from the input itself. */
function describe(sourced: Sourced): string {
  return sourced.from === 'input' ? `'${sourced.value}'` : `'${sourced.value}' (from ${sourced.from})`;
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
    throw new InputError(input, `'${shown}' is not a valid ${what} (${why})`, EXAMPLES[input]);
  }
}

/** An endpoint URL: http(s), no credentials, query or fragment; trailing slashes removed; a path is kept. */
function parseEndpoint(input: 'endpoint' | 'iam_endpoint', sourced: Sourced): string {
  // The value is not echoed: a URL could carry credentials or a signed query.
  const origin = sourced.from === 'input' ? 'the value' : `the value (from ${sourced.from})`;
  const url = URL.parse(sourced.value);
  if (!url) {
    throw new InputError(input, `${origin} is not an absolute URL`, EXAMPLES[input]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(input, `${origin} must use https: or http:, not ${url.protocol}`, EXAMPLES[input]);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError(input, `${origin} must not contain credentials (user:password@)`, EXAMPLES[input]);
  }
  if (url.search !== '' || sourced.value.includes('?')) {
    throw new InputError(input, `${origin} must not contain a query string (?...)`, EXAMPLES[input]);
  }
  if (url.hash !== '' || sourced.value.includes('#')) {
    throw new InputError(input, `${origin} must not contain a fragment (#...)`, EXAMPLES[input]);
  }
  if (url.hostname === '') {
    throw new InputError(input, `${origin} has no host name`, EXAMPLES[input]);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

type DurationInput = 'timeout' | 'poll_interval' | 'max_poll_interval' | 'request_timeout';

function readDuration(source: InputSource, input: DurationInput): { ms: number; text: string } {
  const text = source.getInput(input) || DEFAULTS[input];
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new InputError(input, message.charAt(0).toLowerCase() + message.slice(1), EXAMPLES[input]);
  }
  if (ms > MAX_DURATION_MS) {
    throw new InputError(input, `'${text}' is too long: at most 576h (24 days)`, EXAMPLES[input]);
  }
  return { ms, text };
}

function readBoolean(source: InputSource, input: 'fail_fast' | 'summary'): boolean {
  const text = source.getInput(input) || DEFAULTS[input];
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  throw new InputError(input, `'${shown}' is not a boolean (use true or false)`, EXAMPLES[input]);
}

function readFailOn(source: InputSource): StatusName[] {
  const text = source.getInput('fail_on') || DEFAULTS.fail_on;
  const accepted = FAIL_ON_STATUSES.join(', ');
  const statuses: StatusName[] = [];
  for (const item of splitList(text)) {
    const status = item.toUpperCase();
    if (IN_PROGRESS_STATUSES.includes(status)) {
      throw new InputError(
        'fail_on',
        `'${item}' is an in-progress status, not a terminal one (accepted: ${accepted})`,
        EXAMPLES.fail_on,
      );
    }
    if (!(FAIL_ON_STATUSES as readonly string[]).includes(status)) {
      const shown = item.length > 40 ? `${item.slice(0, 37)}...` : item;
      throw new InputError('fail_on', `unknown status '${shown}' (accepted: ${accepted})`, EXAMPLES.fail_on);
    }
    if (!statuses.includes(status as StatusName)) statuses.push(status as StatusName);
  }
  if (statuses.length === 0) {
    throw new InputError('fail_on', `no status is listed (accepted: ${accepted})`, EXAMPLES.fail_on);
  }
  return statuses;
}

// ---------------------------------------------------------------------------------------------------------
// credentials

const AK_ENV_PAIRS = [
  ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK'],
  ['HUAWEI_CLOUD_ACCESS_KEY_ID', 'HUAWEI_CLOUD_SECRET_ACCESS_KEY'],
  ['CLOUD_SDK_AK', 'CLOUD_SDK_SK'],
] as const;
const AUTH_TOKEN_ENV = 'HUAWEICLOUD_SDK_AUTH_TOKEN';
const SECURITY_TOKEN_ENV = 'HUAWEICLOUD_SDK_SECURITY_TOKEN';

/** Every secret-bearing input and environment variable, read (and masked) before anything else happens. */
interface SecretValues {
  authToken: Sourced | undefined;
  accessKeyInput: string;
  secretKeyInput: string;
  /** The first environment pair in which either variable is set, as [AK, SK] names and values. */
  envPair: { akName: string; skName: string; ak: string; sk: string } | undefined;
  securityTokenInput: string;
  securityTokenEnv: string;
  githubToken: string;
  all: string[];
}

function readSecrets(source: InputSource, hooks: InputHooks): SecretValues {
  const all: string[] = [];
  const mask = (value: string): string => {
    if (value === '') return value;
    hooks.setSecret(value);
    all.push(value);
    // A multi-line value is also masked line by line: the runner may register only a line at a time.
    const lines = value.split(/\r?\n/).map((line) => line.trim());
    if (lines.length > 1) {
      for (const line of lines) {
        if (line !== '') {
          hooks.setSecret(line);
          all.push(line);
        }
      }
    }
    return value;
  };
  const input = (name: string): string => mask(source.getInput(name));
  const env = (name: string): string => mask(envValue(source, name));

  const authTokenInput = input('auth_token');
  const authTokenEnv = env(AUTH_TOKEN_ENV);
  const accessKeyInput = input('access_key');
  const secretKeyInput = input('secret_key');
  const pairs = AK_ENV_PAIRS.map(([akName, skName]) => ({
    akName,
    skName,
    ak: env(akName),
    sk: env(skName),
  }));
  const securityTokenInput = input('security_token');
  const securityTokenEnv = env(SECURITY_TOKEN_ENV);
  const githubToken = input('github_token');

  let authToken: Sourced | undefined;
  if (authTokenInput !== '') authToken = { value: authTokenInput, from: 'input' };
  else if (authTokenEnv !== '') authToken = { value: authTokenEnv, from: `env ${AUTH_TOKEN_ENV}` };

  return {
    authToken,
    accessKeyInput,
    secretKeyInput,
    envPair: pairs.find((pair) => pair.ak !== '' || pair.sk !== ''),
    securityTokenInput,
    securityTokenEnv,
    githubToken,
    all,
  };
}

/** Checks a credential's shape without ever showing it. */
function checkCredentialShape(
  input: 'access_key' | 'secret_key' | 'security_token' | 'auth_token',
  value: string,
  from: string,
  what: string,
): void {
  if (HEADER_TOKEN.test(value)) return;
  const where = from === 'input' ? '' : ` (from ${from})`;
  const why = /\s/.test(value)
    ? 'contains whitespace or a line break (pasted with extra characters?)'
    : 'contains characters other than printable ASCII';
  throw new InputError(input, `the ${what}${where} ${why}; the value is not shown`, EXAMPLES[input]);
}

function resolveAkSk(
  secrets: SecretValues,
  hooks: InputHooks,
): { credentials: Credentials; from: string } | undefined {
  let accessKey: string;
  let secretKey: string;
  let from: string;
  if (secrets.accessKeyInput !== '' || secrets.secretKeyInput !== '') {
    // The inputs are one source: an empty one is almost always a misspelled or missing secret, and
    // filling it from the environment would sign with someone else's key.
    if (secrets.secretKeyInput === '') {
      throw new InputError(
        'secret_key',
        'access_key is set but secret_key is empty (a missing or misspelled secret expands to an empty string)',
        EXAMPLES.secret_key,
      );
    }
    if (secrets.accessKeyInput === '') {
      throw new InputError(
        'access_key',
        'secret_key is set but access_key is empty (a missing or misspelled secret expands to an empty string)',
        EXAMPLES.access_key,
      );
    }
    accessKey = secrets.accessKeyInput;
    secretKey = secrets.secretKeyInput;
    from = 'input';
  } else if (secrets.envPair) {
    const { akName, skName, ak, sk } = secrets.envPair;
    if (sk === '') {
      throw new InputError('secret_key', `env ${akName} is set but ${skName} is not`, EXAMPLES.secret_key);
    }
    if (ak === '') {
      throw new InputError('access_key', `env ${skName} is set but ${akName} is not`, EXAMPLES.access_key);
    }
    accessKey = ak;
    secretKey = sk;
    from = `env ${akName}/${skName}`;
  } else {
    return undefined;
  }
  checkCredentialShape('access_key', accessKey, from, 'access key');
  checkCredentialShape('secret_key', secretKey, from, 'secret key');

  let securityToken: string | undefined;
  if (secrets.securityTokenInput !== '') {
    securityToken = secrets.securityTokenInput;
    checkCredentialShape('security_token', securityToken, 'input', 'security token');
  } else if (secrets.securityTokenEnv !== '') {
    // The contract's fallback. A token left in the environment beside permanent keys given as inputs would make
    // every request fail with 401, so say where it comes from.
    securityToken = secrets.securityTokenEnv;
    checkCredentialShape('security_token', securityToken, `env ${SECURITY_TOKEN_ENV}`, 'security token');
    if (from === 'input') {
      hooks.warning(
        `Using ${SECURITY_TOKEN_ENV} with the access_key/secret_key inputs. If those are permanent keys, ` +
          'clear the variable (or set security_token to the token that belongs to them).',
      );
    }
  }
  const credentials: Credentials = { kind: 'aksk', accessKey, secretKey };
  if (securityToken !== undefined) credentials.securityToken = securityToken;
  return { credentials, from };
}

function resolveCredentials(source: InputSource, hooks: InputHooks, secrets: SecretValues): Credentials {
  // No environment fallback, as the contract says: keyless auth is chosen in the workflow, never inherited.
  const idp = inputOrEnv(source, 'idp_id', []);
  const akskGiven: string[] = [];
  if (secrets.accessKeyInput !== '' || secrets.secretKeyInput !== '') akskGiven.push('inputs');
  if (secrets.envPair) akskGiven.push(`env ${secrets.envPair.akName}`);

  const given: string[] = [];
  if (secrets.authToken) given.push(`auth_token (${secrets.authToken.from})`);
  if (idp) given.push(`idp_id (${idp.from})`);
  if (akskGiven.length > 0) given.push(`AK/SK (${akskGiven.join(', ')})`);

  let credentials: Credentials;
  let used: string;
  if (secrets.authToken) {
    checkCredentialShape('auth_token', secrets.authToken.value, secrets.authToken.from, 'token');
    credentials = { kind: 'token', authToken: secrets.authToken.value };
    used = 'auth_token';
  } else if (idp) {
    if (!IDP_ID.test(idp.value)) {
      throw new InputError(
        'idp_id',
        `${describe(idp)} is not an identity provider name (letters, digits, '.', '-' and '_')`,
        EXAMPLES.idp_id,
      );
    }
    const audience = source.getInput('id_token_audience');
    credentials = { kind: 'oidc', idpId: idp.value, audience: audience || undefined };
    used = 'idp_id (keyless OIDC)';
  } else {
    const aksk = resolveAkSk(secrets, hooks);
    if (!aksk) {
      throw new InputError(
        'access_key',
        'no Huawei Cloud credentials found. Set access_key and secret_key from repository secrets, ' +
          'or run huaweicloud/auth-action earlier in the job (it exports HUAWEI_CLOUD_ACCESS_KEY_ID and ' +
          'HUAWEI_CLOUD_SECRET_ACCESS_KEY), or set idp_id for keyless OIDC (needs permissions: id-token: write), ' +
          'or set auth_token to an IAM token',
        EXAMPLES.access_key,
      );
    }
    credentials = aksk.credentials;
    used = 'AK/SK';
  }
  if (given.length > 1) {
    hooks.warning(
      `Several kinds of credentials are set: ${given.join('; ')}. Using ${used}, the others are ignored ` +
        '(order: auth_token, idp_id, AK/SK).',
    );
  }
  return credentials;
}

// ---------------------------------------------------------------------------------------------------------
// parseInputs

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

/**
 * Validates every input and returns the `Config`, or throws an `InputError` for the first bad one.
 * Secrets are read and passed to `hooks.setSecret` first, before any warning or error can be produced.
 * `now` (ms since the epoch) only serves the warning about a `begin_time` in the future.
 */
export function parseInputs(source: InputSource, hooks: InputHooks, now: () => number = Date.now): Config {
  const secrets = readSecrets(source, hooks);
  // Belt and braces: no message leaves this function with a secret in it, whatever the value was pasted into.
  const safeHooks: InputHooks = {
    setSecret: hooks.setSecret,
    warning: (message) => hooks.warning(redact(message, secrets.all)),
    debug: (message) => hooks.debug?.(redact(message, secrets.all)),
  };
  try {
    return parseAfterSecrets(source, safeHooks, secrets, now);
  } catch (error) {
    if (error instanceof Error) error.message = redact(error.message, secrets.all);
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
    throw new InputError('region', `${describe(region)} is not a region ID (${hint})`, EXAMPLES.region);
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
    throw new InputError(
      'region',
      'no region is set (input, or env HUAWEICLOUD_SDK_REGION or HUAWEI_CLOUD_REGION) and no endpoint is given',
      EXAMPLES.region,
    );
  }
  const iamEndpoint = iam ? parseEndpoint('iam_endpoint', iam) : (defaults?.iam ?? GLOBAL_IAM_ENDPOINT);

  const project = inputOrEnv(source, 'project_id', ['HUAWEICLOUD_SDK_PROJECT_ID', 'HUAWEI_CLOUD_PROJECT_ID']);
  if (project && !PROJECT_ID.test(project.value)) {
    const shown: Sourced = {
      value: project.value.length > 70 ? `${project.value.slice(0, 67)}...` : project.value,
      from: project.from,
    };
    throw new InputError(
      'project_id',
      `${describe(shown)} is not a project ID (letters, digits and -, at most 64)`,
      EXAMPLES.project_id,
    );
  }
  if (!project && !region) {
    throw new InputError(
      'project_id',
      'no project_id is set, and it cannot be looked up through IAM without a region (set project_id, or region)',
      EXAMPLES.project_id,
    );
  }

  // What: job IDs, or the newest job of a resource.
  const jobIds = splitList(source.getInput('job_id'));
  for (const id of jobIds) validateId('job_id', id, 'job ID');
  const resourceInput = source.getInput('resource_id');
  if (resourceInput !== '') validateId('resource_id', resourceInput, 'resource ID');
  if (jobIds.length === 0 && resourceInput === '') {
    throw new InputError(
      'job_id',
      'neither job_id nor resource_id is set: set job_id to the job ID returned by the upgrade or copy call, ' +
        'or resource_id to wait for the newest job of a load balancer',
      EXAMPLES.job_id,
    );
  }
  if (jobIds.length > 0 && resourceInput !== '') {
    hooks.warning('Both job_id and resource_id are set: waiting for job_id, resource_id is ignored.');
  }
  const resourceId = jobIds.length === 0 ? resourceInput : undefined;

  const jobType = source.getInput('job_type');
  if (jobType !== '' && !/^[\x21-\x7e]{1,128}$/.test(jobType)) {
    throw new InputError(
      'job_type',
      `'${jobType.slice(0, 40)}' is not a job type (no whitespace, printable ASCII, at most 128)`,
      EXAMPLES.job_type,
    );
  }

  const beginTimeInput = source.getInput('begin_time');
  let beginTime: string | undefined;
  if (beginTimeInput !== '') {
    try {
      beginTime = normaliseBeginTime(beginTimeInput);
    } catch (error) {
      throw new InputError('begin_time', (error as Error).message, EXAMPLES.begin_time);
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
  const poll = readDuration(source, 'poll_interval');
  if (poll.ms < MIN_POLL_INTERVAL_MS) {
    throw new InputError(
      'poll_interval',
      `'${poll.text}' is too short: at least 100ms`,
      EXAMPLES.poll_interval,
    );
  }
  const maxPoll = readDuration(source, 'max_poll_interval');
  let maxPollMs = maxPoll.ms;
  if (maxPollMs < poll.ms) {
    const maxPollInput = source.getInput('max_poll_interval');
    if (maxPollInput === '' || maxPollInput === DEFAULTS.max_poll_interval) {
      // The runner fills in the default: a poll_interval above it just means "no backoff".
      maxPollMs = poll.ms;
    } else {
      throw new InputError(
        'max_poll_interval',
        `'${maxPoll.text}' is shorter than poll_interval '${poll.text}': the ceiling must be at least the first delay`,
        formatDuration(Math.min(poll.ms * 4, MAX_DURATION_MS)).replace(/ /g, ''),
      );
    }
  }
  const request = readDuration(source, 'request_timeout');
  if (request.ms < MIN_REQUEST_TIMEOUT_MS) {
    throw new InputError(
      'request_timeout',
      `'${request.text}' is too short: at least 1s`,
      EXAMPLES.request_timeout,
    );
  }

  // Outcome and reporting.
  const failOn = readFailOn(source);
  const failFast = readBoolean(source, 'fail_fast');
  const summary = readBoolean(source, 'summary');
  const checkName = source.getInput('check_name');
  if (/[\r\n]/.test(checkName)) {
    throw new InputError('check_name', 'the name must be a single line', EXAMPLES.check_name);
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
