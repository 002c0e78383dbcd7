/**
 * The action on `@actions/core`: `run()` adapts core to the action's IO (`ActionIO` in `action.ts`) and runs it.
 * This is the only module of `src/` that imports `@actions/core` (`index.ts` only calls it); GitHub's local runner for actions
 * (`npm run local-action`) loads it and calls `run()`.
 */
import * as core from '@actions/core';
import { type ActionIO, runAction } from './action.ts';
import { errorMessage } from './errors.ts';
import { logText } from './report/log.ts';

const controller = new AbortController();

/** The runner sends SIGINT, then SIGTERM 7.5 s later, then kills: report within 5 s whatever happens. */
const REPORT_WITHIN_MS = 4_500;

/** The action's host IO, on `@actions/core`. */
export function coreIO(): ActionIO {
  return {
    getInput: (name) => core.getInput(name),
    env: process.env,
    setSecret: (value) => core.setSecret(value),
    setOutput: (name, value) => core.setOutput(name, value),
    debug: (message) => core.debug(message),
    info: (message) => core.info(message),
    startGroup: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
    notice: (message) => core.notice(message),
    warning: (message) => core.warning(message),
    setFailed: (message) => core.setFailed(message),
    getIDToken: (audience) => core.getIDToken(audience),
    writeSummary: async (markdown) => {
      await core.summary.addRaw(markdown, true).write();
    },
  };
}

/**
 * The last resort, for an exception nothing caught (one thrown from a callback, say): one error line with the
 * message, `result=error`, exit code 1. Never a stack trace of the bundle.
 */
function crashed(error: unknown): void {
  try {
    core.setOutput('result', 'error');
  } catch {
    // The error line below still tells what happened.
  }
  core.setFailed(logText(`Unexpected error: ${errorMessage(error)}`));
  process.exit(1);
}

/** Runs the action once. Never throws: every ending writes the outputs and the summary, and sets the exit code. */
export async function run(): Promise<void> {
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  try {
    await runAction(coreIO(), { signal: controller.signal });
  } catch (error) {
    crashed(error);
  }
}

/**
 * Stops the wait: polling ends and the last known state is reported; a process still running
 * `REPORT_WITHIN_MS` later exits with an error. Returns false when already cancelled.
 */
export function cancel(reason: string): boolean {
  if (controller.signal.aborted) return false;
  core.info(`Received ${reason}: stopping and reporting the last known state`);
  controller.abort();
  setTimeout(() => {
    core.error('Could not finish reporting in time after cancellation');
    process.exit(1);
  }, REPORT_WITHIN_MS).unref();
  return true;
}
