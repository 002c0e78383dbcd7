import * as core from '@actions/core';
import { run } from './main.ts';

/** The entry point: adapts @actions/core to the action's IO and turns SIGINT/SIGTERM into a cancellation. */
const controller = new AbortController();
/** The runner sends SIGINT, then SIGTERM 7.5 s later, then kills: report within 5 s whatever happens. */
const REPORT_WITHIN_MS = 4_500;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) return;
    core.info(`Received ${signal}: stopping and reporting the last known state`);
    controller.abort();
    setTimeout(() => {
      core.error('Could not finish reporting in time after cancellation');
      process.exit(1);
    }, REPORT_WITHIN_MS).unref();
  });
}

await run(
  {
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
  },
  { signal: controller.signal },
);
