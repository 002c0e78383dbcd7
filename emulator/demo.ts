/**
 * `npm run demo` (= `node emulator/demo.ts`): runs the bundled action (dist/index.js) against the
 * ELB emulator the way a GitHub runner would, and shows what it did.
 *
 * Starts the emulator with a fake AK/SK and an UPGRADE job that runs for 12 s, spawns
 * `process.execPath dist/index.js` with `INPUT_*` variables (plus every other input's default
 * from action.yml), `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_STATE` and `RUNNER_TEMP`
 * pointing into a temp directory, streams its output live, then prints the outputs and the step
 * summary it wrote and exits with its exit code. `--debug` also sets RUNNER_DEBUG=1.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ACTION_ENTRY, ACTION_YML as DEFAULT_ACTION_YML, runAction } from './action-runner.ts';
import { DEMO_ACCESS_KEY, DEMO_JOB_ID, DEMO_RESOURCE_ID, DEMO_SECRET_KEY } from './fixtures.ts';
import { DEMO_PROJECT_ID, upgradeJob } from './jobs.ts';
import { ElbEmulator } from './server.ts';

// Overridable for the demo's own test (a stub action); the defaults are what `npm run demo` runs.
const ACTION = process.env.ELB_DEMO_ACTION ?? ACTION_ENTRY;
const ACTION_YML = process.env.ELB_DEMO_ACTION_YML ?? DEFAULT_ACTION_YML;

const DEBUG = process.argv.includes('--debug');
let partial = '';

/**
 * The log as the runner's page shows it: workflow commands rendered (a group's title with its lines indented under
 * it, warnings and errors marked), masks and, without --debug, debug lines hidden.
 */
function asRunnerShows(chunk: string): string {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  const out: string[] = [];
  for (const line of lines) {
    const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (!command) {
      out.push(inGroup ? `  ${line}` : line);
      continue;
    }
    const [, name, text] = command;
    const message = decodeURIComponent((text ?? '').replace(/%(?![0-9A-F]{2})/g, '%25'));
    if (name === 'group') {
      inGroup = true;
      out.push(`▸ ${message}`);
    } else if (name === 'endgroup') {
      inGroup = false;
    } else if (name === 'debug') {
      if (DEBUG) out.push(`  debug: ${message}`);
    } else if (name !== 'add-mask') {
      out.push(`${name === 'error' ? '✖ Error' : name === 'warning' ? '⚠ Warning' : 'ℹ Notice'}: ${message}`);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
let inGroup = false;

async function main(): Promise<number> {
  if (!existsSync(ACTION)) {
    console.error(`${ACTION} does not exist yet: run \`npm run build\` first.`);
    return 1;
  }
  const emulator = new ElbEmulator({
    credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
  });
  const url = await emulator.start();
  const job = emulator.addJob(
    upgradeJob({
      jobId: DEMO_JOB_ID,
      resourceId: DEMO_RESOURCE_ID,
      projectId: DEMO_PROJECT_ID,
      durationMs: 12_000,
      outcome: 'COMPLETE',
    }),
  );
  console.log(`demo: ELB emulator on ${url}; UPGRADE job ${job.job_id} runs for 12 s`);
  console.log(`demo: running ${ACTION}\n`);
  const env: Record<string, string> = {};
  if (process.argv.includes('--debug')) env.RUNNER_DEBUG = '1';
  let child: ChildProcess | undefined;
  const forward = (signal: NodeJS.Signals) => child?.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const result = await runAction({
    entry: ACTION,
    actionYml: ACTION_YML,
    env,
    onStdout: (chunk) => process.stdout.write(asRunnerShows(chunk)),
    onSpawn: (c) => {
      child = c;
    },
    inputs: {
      endpoint: url,
      project_id: DEMO_PROJECT_ID,
      access_key: DEMO_ACCESS_KEY,
      secret_key: DEMO_SECRET_KEY,
      job_id: job.job_id,
      poll_interval: '1s',
      max_poll_interval: '3s',
      timeout: '2m',
    },
  });
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  const code = result.code ?? 128 + (result.signal === null ? 0 : (constants.signals[result.signal] ?? 0));
  await emulator.stop();

  console.log(`\ndemo: the action exited with code ${code} after ${emulator.requests.length} request(s)`);
  console.log('\n--- outputs (GITHUB_OUTPUT) ---');
  for (const [name, value] of Object.entries(result.outputs)) console.log(`${name} = ${value}`);
  console.log('\n--- step summary (GITHUB_STEP_SUMMARY) ---');
  console.log(result.summary || '(empty)');
  // Two figures that differ on purpose: how long the job ran (summary, timeline) and how long the step waited (log,
  // elapsed_seconds), which ends at the first poll after the job did (1 s to 3 s later here).
  const [done] = JSON.parse(result.outputs.jobs || '[]') as Array<{ begin_time?: string; end_time?: string }>;
  const ran =
    done?.begin_time && done.end_time
      ? (Date.parse(done.end_time) - Date.parse(done.begin_time)) / 1000
      : NaN;
  if (Number.isFinite(ran)) {
    console.log(
      `demo: the job ran ${ran} s from begin_time to end_time (the summary's duration); the step waited ` +
        `${result.outputs.elapsed_seconds} s (the log's "waited"), until the first poll after the job ended`,
    );
  }
  return code;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
