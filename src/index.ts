/**
 * The entry point the runner starts (`action.yml`: `dist/index.js`): runs the action and turns SIGINT/SIGTERM
 * into a cancellation.
 */
import { cancel, run } from './main.ts';

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => cancel(signal));

void run();
