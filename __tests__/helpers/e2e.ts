/** Shared set-up of the end-to-end tests: an emulator per test, the bundled action, and a credential audit. */
import { afterEach, beforeEach, expect } from 'vitest';
import {
  GITHUB_TOKEN_STANDIN,
  type RunOptions,
  type RunResult,
  runAction,
} from '../../emulator/action-runner.ts';
import {
  DEMO_PROJECT_ID,
  ElbEmulator,
  type ElbEmulatorOptions,
  type JobScript,
} from '../../emulator/index.ts';

export const AK = 'E2EACCESSKEY00000000';
export const SK = 'e2e-secret-key-not-a-real-one-000000000';
export const TEMP_AK = 'E2ETEMPORARYKEY00000';
export const TEMP_SK = 'e2e-temporary-secret-not-real-0000000000';
export const SECURITY_TOKEN = 'e2e-security-token-not-real-gQpZ0000000000000000';
export const AUTH_TOKEN = 'e2e-iam-token-not-real-MIIZ0000000000000000';
/** Every credential value any end-to-end run may hold. */
export const SECRETS = [AK, SK, TEMP_AK, TEMP_SK, SECURITY_TOKEN, AUTH_TOKEN, GITHUB_TOKEN_STANDIN];

/** Fast polling so each run takes about a second. */
export const FAST = { poll_interval: '100ms', max_poll_interval: '300ms', timeout: '20s' };

/** The text a user could read, without the runner's own `::add-mask::` commands. */
function visible(r: RunResult): string {
  return [
    ...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')),
    r.stderr,
    r.summary,
    ...Object.values(r.outputs),
  ].join('\n');
}

/**
 * The credential audit, for every run: no credential in anything the action made visible (stdout but its own
 * `::add-mask::` commands, stderr, the summary, the outputs). `E2E.run` applies it; call it for other runs.
 */
export function record(r: RunResult): RunResult {
  const shown = visible(r);
  for (const secret of SECRETS) expect(shown, 'a credential shown in a run').not.toContain(secret);
  return r;
}

export interface E2E {
  readonly emulator: ElbEmulator;
  readonly url: string;
  /** Adds a scripted job; returns its ID. */
  add(script: JobScript): string;
  /** Runs dist/index.js with AK/SK, project and fast polling unless overridden. */
  run(
    inputs: Record<string, string>,
    env?: Record<string, string>,
    extra?: Partial<RunOptions>,
  ): Promise<RunResult>;
}

/** What every test's emulator accepts: the test credentials and the project of cn-north-4. */
export function emulatorOptions(options: ElbEmulatorOptions = {}): ElbEmulatorOptions {
  return {
    credentials: [
      { accessKey: AK, secretKey: SK },
      { accessKey: TEMP_AK, secretKey: TEMP_SK, securityToken: SECURITY_TOKEN },
    ],
    authTokens: [AUTH_TOKEN],
    projects: [{ id: DEMO_PROJECT_ID, name: 'cn-north-4' }],
    ...options,
  };
}

/** A run's inputs: the emulator, AK/SK, the project and fast polling unless overridden. */
export function runInputs(url: string, inputs: Record<string, string>): Record<string, string> {
  return { endpoint: url, project_id: DEMO_PROJECT_ID, access_key: AK, secret_key: SK, ...FAST, ...inputs };
}

/** An emulator per test (made with `options()`, taken before each), started before it and stopped after it. */
export function emulatorPerTest(options: () => ElbEmulatorOptions): Pick<E2E, 'emulator' | 'url' | 'add'> {
  let emulator: ElbEmulator;
  let url = '';
  beforeEach(async () => {
    emulator = new ElbEmulator(emulatorOptions(options()));
    url = await emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });
  return {
    get emulator() {
      return emulator;
    },
    get url() {
      return url;
    },
    add: (script) => emulator.addJob(script).job_id,
  };
}

/** Registers an emulator started before and stopped after each test; `run` runs the bundle against it. */
export function useEmulator(options: ElbEmulatorOptions = {}): E2E {
  const server = emulatorPerTest(() => options);
  return Object.assign(server, {
    async run(
      inputs: Record<string, string>,
      env: Record<string, string> = {},
      extra: Partial<RunOptions> = {},
    ) {
      const r = await runAction({ inputs: runInputs(server.url, inputs), env, ...extra });
      record(r);
      return r;
    },
  });
}

/** The `::error::` line(s) the action printed. */
export function errors(r: RunResult): string {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .join('\n');
}

/** The `::warning::` lines the action printed. */
export function warnings(r: RunResult): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
}
