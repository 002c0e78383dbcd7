import * as core from '@actions/core';
import { run } from './main.ts';

/** The entry point: adapts @actions/core to the action's IO and turns SIGINT/SIGTERM into a cancellation. */
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    core.info(`Received ${signal}: stopping and reporting the last known state`);
    controller.abort();
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
    notice: (message) => core.notice(message),
    warning: (message) => core.warning(message),
    setFailed: (message) => core.setFailed(message),
    writeSummary: async (markdown) => {
      await core.summary.addRaw(markdown, true).write();
    },
  },
  { signal: controller.signal },
);
