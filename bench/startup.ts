/**
 * Start-up of the bundled action for an already-finished job, next to `node -e 0` on the same Node:
 * median of RUNS runs each. Also prints the bundle's size. Run with `npm run bench:startup`.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { ACTION_ENTRY, runAction } from '../emulator/action-runner.ts';
import {
  DEMO_ACCESS_KEY,
  DEMO_PROJECT_ID,
  DEMO_SECRET_KEY,
  ElbEmulator,
  finishedJob,
} from '../emulator/index.ts';

const RUNS = Number(process.env.RUNS ?? 15);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function time(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

const emulator = new ElbEmulator({
  credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
});
const url = await emulator.start();
const job = emulator.addJob(finishedJob({ endedAgoMs: 60_000, outcome: 'COMPLETE' }));

const bare: number[] = [];
const action: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(await time(['-e', '0']));
  const r = await runAction({
    inputs: {
      endpoint: url,
      project_id: DEMO_PROJECT_ID,
      access_key: DEMO_ACCESS_KEY,
      secret_key: DEMO_SECRET_KEY,
      job_id: job.job_id,
    },
  });
  if (r.code !== 0) throw new Error(`the action failed: ${r.stdout}${r.stderr}`);
  action.push(r.ms);
}
await emulator.stop();

const b = median(bare);
const a = median(action);
console.log(`Node ${process.version}, ${RUNS} runs each (median)`);
console.log(`node -e 0                      ${b.toFixed(0)} ms`);
console.log(`dist/index.js, finished job    ${a.toFixed(0)} ms  (${(a / b).toFixed(2)}x)`);
console.log(`dist/index.js size             ${(statSync(ACTION_ENTRY).size / 1024).toFixed(0)} KiB`);
