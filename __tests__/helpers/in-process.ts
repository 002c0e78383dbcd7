/**
 * The action's core in process, against the emulator, on a scripted clock: the same inputs, environment and result
 * as a run of the bundle (`E2E.run`), without a process and without real waiting. Its IO prints what `@actions/core`
 * would print (commands with their data escaped), so the same assertions hold. For the retry, timeout and bad-input
 * matrices; what only the bundle can show (signals, file commands, proxies, TLS) stays end to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionEnv, type RunResult } from '../../emulator/action-runner.ts';
import { type ElbEmulatorOptions, type ManualClock, manualClock } from '../../emulator/index.ts';
import { type ActionIO, runAction } from '../../src/action.ts';
import { type E2E, emulatorPerTest, record, runInputs } from './e2e.ts';

/** `@actions/core`'s escaping of a command's data. */
const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export interface InProcess extends E2E {
  readonly clock: ManualClock;
}

/** Runs the core once with the runner's environment for `inputs`; stdout as `@actions/core` would write it. */
export async function runInProcess(
  inputs: Record<string, string>,
  env: Record<string, string>,
  clock: ManualClock,
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'elb-job-wait-in-process-'));
  try {
    const vars = actionEnv({ inputs, env }, dir);
    let stdout = '';
    let failed = false;
    const outputs: Record<string, string> = {};
    let summary = '';
    const line = (text: string) => {
      stdout += `${text}\n`;
    };
    const command = (name: string) => (message: string) => line(`::${name}::${escapeData(message)}`);
    const io: ActionIO = {
      getInput: (name) => (vars[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
      env: vars,
      setSecret: command('add-mask'),
      setOutput: (name, value) => {
        outputs[name] = value;
      },
      debug: command('debug'),
      info: line,
      startGroup: command('group'),
      endGroup: () => line('::endgroup::'),
      notice: command('notice'),
      warning: command('warning'),
      setFailed: (message) => {
        failed = true;
        command('error')(message);
      },
      writeSummary: async (markdown) => {
        summary += `${markdown}\n`;
      },
      // What `core.getIDToken` asks of the runner's ID-token endpoint (the emulator's stand-in here).
      getIDToken: async (audience) => {
        const url = new URL(vars.ACTIONS_ID_TOKEN_REQUEST_URL ?? '');
        if (audience) url.searchParams.set('audience', audience);
        const res = await fetch(url, {
          headers: { Authorization: `Bearer ${vars.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
        });
        if (!res.ok) throw new Error(`Failed to get ID Token. HTTP ${res.status}`);
        return ((await res.json()) as { value: string }).value;
      },
    };
    const started = clock.now();
    await runAction(io, {
      clock: {
        now: clock.now,
        sleep: async (ms, signal) => {
          if (ms > 0 && !signal?.aborted) clock.advance(ms);
        },
      },
    });
    return record({
      code: failed ? 1 : 0,
      signal: null,
      stdout,
      stderr: '',
      outputs,
      summary,
      ms: clock.now() - started,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An emulator on a scripted clock per test, and `run` that runs the core in process against it. */
export function useInProcess(options: ElbEmulatorOptions = {}): InProcess {
  let clock: ManualClock = manualClock();
  const server = emulatorPerTest(() => {
    clock = manualClock();
    // Requests are signed with the real time while the scripted clock runs ahead of it.
    return { now: clock.now, maxSkewMs: Number.POSITIVE_INFINITY, ...options };
  });
  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runInProcess(runInputs(server.url, inputs), env, clock);
  // A getter, not Object.assign: each test has a clock of its own.
  return Object.defineProperty(Object.assign(server, { run }), 'clock', { get: () => clock }) as InProcess;
}
