/** Where inputs come from (`InputSource`), how a bad one is reported (`InputError`), and the helpers both share. */
import { InputError } from '../errors.ts';
import type { Secrets } from '../secrets.ts';

export { InputError };

import { GLOBAL_IAM_ENDPOINT } from '../domain/regions.ts';

export interface InputSource {
  /** Like `core.getInput`: '' when unset, already trimmed. */
  getInput(name: string): string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface InputHooks {
  /** Every secret value is added the moment it is read, before anything is logged. */
  secrets: Pick<Secrets, 'add' | 'redact'>;
  warning(message: string): void;
  debug?(message: string): void;
}

/** `${{ secrets.NAME }}`, as a workflow would write it. */
const secretRef = (name: string): string => `\${{ secrets.${name} }}`;

export const EXAMPLES = {
  region: 'cn-north-4',
  project_id: '7b7705dce1e847b08b3b16dda67fec24',
  endpoint: 'https://elb.cn-north-4.myhuaweicloud.com',
  iam_endpoint: GLOBAL_IAM_ENDPOINT,
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

/** A value and where it came from, for messages: `input` or `env NAME`. */
export interface Sourced {
  value: string;
  from: string;
}

export function envValue(source: InputSource, name: string): string {
  return (source.env[name] ?? '').trim();
}

/** The input, else the first non-empty environment variable of `envNames`. */
export function inputOrEnv(
  source: InputSource,
  input: string,
  envNames: readonly string[],
): Sourced | undefined {
  const value = source.getInput(input);
  if (value !== '') return { value, from: 'input' };
  for (const name of envNames) {
    const fromEnv = envValue(source, name);
    if (fromEnv !== '') return { value: fromEnv, from: `env ${name}` };
  }
  return undefined;
}

/** `'value'`, or `'value' (from env NAME)` when it did not come from the input itself. */
export function describe(sourced: Sourced): string {
  return sourced.from === 'input' ? `'${sourced.value}'` : `'${sourced.value}' (from ${sourced.from})`;
}
