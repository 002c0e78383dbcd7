/**
 * The entry point: adapts @actions/core to the action's IO and turns SIGINT/SIGTERM into a cancellation.
 *
 * The workflow commands come from @actions/core's own modules (command, file-command), imported one by one:
 * its index also loads its OIDC client (@actions/http-client), @actions/exec and @actions/io, which would add to
 * the start-up time of a step that may make a single request. That full index is loaded only for
 * `getIDToken` (keyless auth). @actions/core publishes only its index, hence the paths.
 */
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { issue, issueCommand } from '../node_modules/@actions/core/lib/command.js';
import { issueFileCommand, prepareKeyValueMessage } from '../node_modules/@actions/core/lib/file-command.js';
import { run } from './main.ts';

// undici parses HTTP/1 with llhttp compiled to WebAssembly, and V8 soon recompiles hot WebAssembly with its optimising
// tier: about 20 MB of memory for no gain, as the parser reads a few small answers a minute. A tiering budget no wait
// reaches keeps it on the baseline tier (npm run bench: peak RSS 88 MB -> 65 MB). It must be set before the first
// request compiles the parser: V8 gives each module its budget then.
setFlagsFromString('--wasm-tiering-budget=1000000000');

const controller = new AbortController();
/** The runner sends SIGINT, then SIGTERM 7.5 s later, then kills: report within 5 s whatever happens. */
const REPORT_WITHIN_MS = 4_500;

const info = (message: string) => process.stdout.write(message + EOL);
const error = (message: string) => issueCommand('error', {}, message);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) return;
    info(`Received ${signal}: stopping and reporting the last known state`);
    controller.abort();
    setTimeout(() => {
      error('Could not finish reporting in time after cancellation');
      process.exit(1);
    }, REPORT_WITHIN_MS).unref();
  });
}

// Not awaited at top level: a top-level await makes the bundle an async module, which costs start-up time.
void run(
  {
    // As core.getInput: INPUT_<NAME>, spaces as underscores, trimmed.
    getInput: (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    env: process.env,
    setSecret: (value) => issueCommand('add-mask', {}, value),
    setOutput: (name, value) => {
      if (process.env.GITHUB_OUTPUT) issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
      else issueCommand('set-output', { name }, value);
    },
    debug: (message) => issueCommand('debug', {}, message),
    info,
    startGroup: (name) => issue('group', name),
    endGroup: () => issue('endgroup'),
    notice: (message) => issueCommand('notice', {}, message),
    warning: (message) => issueCommand('warning', {}, message),
    setFailed: (message) => {
      process.exitCode = 1;
      error(message);
    },
    getIDToken: async (audience) => (await import('@actions/core')).getIDToken(audience),
    // What core.summary.addRaw(markdown, true).write() does, synchronously: its asynchronous access() and
    // appendFile() each wait for a libuv pool thread, which costs milliseconds on a busy runner.
    writeSummary: async (markdown) => {
      const file = process.env.GITHUB_STEP_SUMMARY;
      if (!file)
        throw new Error('GITHUB_STEP_SUMMARY is not set: this runner does not support job summaries');
      appendFileSync(file, markdown + EOL);
    },
  },
  { signal: controller.signal },
);
