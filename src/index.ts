/**
 * The entry point the runner starts (`action.yml`: `dist/index.js`): runs the action and turns SIGINT/SIGTERM
 * into a cancellation.
 */
import * as core from '@actions/core';
import { cancel, run } from './main.ts';

/** The runner sends SIGINT, then SIGTERM 7.5 s later, then kills: report within 5 s whatever happens. */
const REPORT_WITHIN_MS = 4_500;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!cancel(signal)) return;
    setTimeout(() => {
      core.error('Could not finish reporting in time after cancellation');
      process.exit(1);
    }, REPORT_WITHIN_MS).unref();
  });
}

void run();
