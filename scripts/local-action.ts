/**
 * `npm run local-action`: runs the action's TypeScript source (`run()` in src/main.ts) under GitHub's local runner for
 * actions, `@github/local-action`, against the ELB emulator, with the inputs in .env.example.
 *
 * Fetches the runner first (npx caches it), then starts the emulator on the port of .env.example's INPUT_ENDPOINT
 * with the demo job, lasting about 10 s, runs `npx @github/local-action . src/main.ts .env.example` with a
 * temporary GITHUB_STEP_SUMMARY, prints the summary it wrote and exits with the runner's exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCESS_KEY, DEMO_JOB_ID, DEMO_RESOURCE_ID, DEMO_SECRET_KEY } from '../emulator/fixtures.ts';
import { DEMO_PROJECT_ID, upgradeJob } from '../emulator/jobs.ts';
import { ElbEmulator } from '../emulator/server.ts';

/** The runner's version, pinned so that this script behaves the same tomorrow. */
const LOCAL_ACTION = '@github/local-action@7.0.1';
const root = join(import.meta.dirname, '..');
const envFile = '.env.example';

function npx(args: string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--yes', ...args], {
      cwd: root,
      env,
      stdio: quiet ? 'ignore' : 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const endpoint = /^INPUT_ENDPOINT=(.*)$/m.exec(readFileSync(join(root, envFile), 'utf8'))?.[1]?.trim();
const port = endpoint ? Number(new URL(endpoint).port) : Number.NaN;
if (!Number.isInteger(port) || port <= 0) {
  console.error(`${envFile} must set INPUT_ENDPOINT to http://127.0.0.1:<port>, the emulator's address`);
  process.exit(2);
}

console.log(`local-action: fetching ${LOCAL_ACTION} (npx caches it)`);
if ((await npx([`--package=${LOCAL_ACTION}`, '--', 'node', '-e', '0'], process.env, true)) !== 0) {
  console.error(`local-action: could not run ${LOCAL_ACTION}; is the npm registry reachable?`);
  process.exit(1);
}

const emulator = new ElbEmulator({
  credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
});
const work = mkdtempSync(join(tmpdir(), 'local-action-'));
const summaryFile = join(work, 'step_summary.md');
let code = 1;
try {
  const url = await emulator.start(port);
  emulator.addJob(
    upgradeJob({
      jobId: DEMO_JOB_ID,
      resourceId: DEMO_RESOURCE_ID,
      projectId: DEMO_PROJECT_ID,
      durationMs: 10_000,
      outcome: 'COMPLETE',
    }),
  );
  console.log(`local-action: ELB emulator on ${url}; UPGRADE job ${DEMO_JOB_ID} completes in about 10 s\n`);
  code = await npx(
    [LOCAL_ACTION, '.', 'src/main.ts', envFile],
    { ...process.env, GITHUB_STEP_SUMMARY: summaryFile },
    false,
  );
  console.log(
    `\n--- step summary (GITHUB_STEP_SUMMARY) ---\n${readFileSync(summaryFile, 'utf8') || '(empty)'}`,
  );
} finally {
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log(`local-action: exit code ${code} after ${emulator.requests.length} request(s) to the emulator`);
process.exitCode = code;
