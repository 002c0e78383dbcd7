/**
 * `npm run bench`: the action's figures next to their budgets, with the default inputs.
 *
 * a. Requests and lag for jobs of 1, 5, 30 and 120 minutes: the real waiter and ELB client over HTTP against the
 *    emulator, both on a simulated clock (no real waiting).
 * b. Requests per poll while waiting on 1, 5 and 20 jobs (after the first poll).
 * c. Cold start of dist/index.js for a finished job on Node 24 next to `node -e 0`, median of RUNS runs each.
 * d. Bundle size (the path without check_name) and peak RSS of a whole run.
 * e. Many waiters sharing one account's gateway limit (bench/fleet.ts): requests, 429s, failed steps and lag.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { Agent } from 'undici';
import { ACTION_ENTRY, runAction } from '../emulator/action-runner.ts';
import {
  DEMO_ACCESS_KEY,
  DEMO_PROJECT_ID,
  DEMO_SECRET_KEY,
  ElbEmulator,
  finishedJob,
  manualClock,
  upgradeJob,
} from '../emulator/index.ts';
import { parseDuration } from '../src/domain/time.ts';
import type { Clock } from '../src/domain/types.ts';
import { akskAuthorizer } from '../src/huawei/auth.ts';
import { ElbClient } from '../src/huawei/elb-client.ts';
import { HttpClient } from '../src/huawei/http.ts';
import { DEFAULTS } from '../src/inputs/inputs.ts';
import { waitForJobs } from '../src/wait/waiter.ts';
import { lagBudgetMs, simulateFleet } from './fleet.ts';

const RUNS = Number(process.env.RUNS ?? 21);
const MIN = 60_000;
const defaults = {
  timeoutMs: 4 * 60 * MIN,
  pollIntervalMs: parseDuration(DEFAULTS.poll_interval),
  maxPollIntervalMs: parseDuration(DEFAULTS.max_poll_interval),
  failOn: ['FAIL', 'ROLLBACK_FAIL'],
  failFast: true,
};

interface Row {
  figure: string;
  value: string;
  budget: string;
  ok: boolean;
}
const rows: Row[] = [];
const row = (figure: string, value: string, budget: string, ok: boolean) =>
  rows.push({ figure, value, budget, ok });

/** Waits on `jobs` upgrades of `minutes` each with the real waiter and client; the clock only moves in sleeps. */
async function simulate(minutes: number, jobs: number) {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const emulator = new ElbEmulator({
    credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
    now: clock.now,
    maxSkewMs: Number.POSITIVE_INFINITY,
  });
  const url = await emulator.start();
  const scripts = Array.from({ length: jobs }, () =>
    emulator.addJob(upgradeJob({ durationMs: minutes * MIN, outcome: 'COMPLETE' })),
  );
  const simulated: Clock = { now: clock.now, sleep: async (ms) => void clock.advance(ms) };
  const dispatcher = new Agent();
  const http = new HttpClient({
    endpoint: url,
    authorizer: akskAuthorizer({ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }),
    dispatcher,
    requestTimeoutMs: 30_000,
    clock: simulated,
    redact: (t) => t,
  });
  const elb = new ElbClient(http, DEMO_PROJECT_ID, { clock: simulated });
  const start = clock.now();
  const perPoll: number[] = [];
  let before = 0;
  const outcome = await waitForJobs(
    { ...defaults, jobIds: scripts.map((s) => s.job_id) },
    {
      clock: simulated,
      list: (query, deadline) => elb.listJobs(query, deadline),
      events: {
        pollDone: () => {
          perPoll.push(emulator.requests.length - before);
          before = emulator.requests.length;
        },
      },
    },
  );
  // When the last job reached its terminal state, by the emulator's model.
  const endedAt = Math.max(
    ...scripts.map((s) => {
      const last = s.timeline.at(-1);
      return start + (last?.atMs ?? 0);
    }),
  );
  const requests = emulator.requests.length;
  await dispatcher.close();
  await emulator.stop();
  if (outcome.result !== 'success') throw new Error(`simulated wait ended ${outcome.result}`);
  return { requests, lagMs: clock.now() - endedAt, perPoll };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function timeNodeE0(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

// a. Requests and lag by job length.
for (const minutes of [1, 5, 30, 120]) {
  const { requests, lagMs } = await simulate(minutes, 1);
  const budget = minutes === 30 ? 70 : undefined;
  row(
    `requests, ${minutes}-minute upgrade`,
    String(requests),
    budget ? `<= ${budget}` : '(for reference)',
    budget ? requests <= budget : true,
  );
  row(
    `lag after its end, ${minutes}-minute upgrade`,
    `${(lagMs / 1000).toFixed(1)} s`,
    '<= 30 s',
    lagMs <= 30_000,
  );
}

// b. Requests per poll by number of jobs (steady state: after the first poll).
const steady: number[] = [];
for (const jobs of [1, 5, 20]) {
  const { perPoll } = await simulate(10, jobs);
  const later = perPoll.slice(1);
  const most = Math.max(...later);
  steady.push(most);
  row(
    `requests per poll, ${jobs} job${jobs === 1 ? '' : 's'}`,
    `${most} (first poll ${perPoll[0]})`,
    'same for 1, 5, 20',
    true,
  );
}
const flat = steady.every((n) => n === steady[0]);
for (const r of rows.slice(-3)) r.ok = flat;

// c. Cold start of the bundle for a finished job.
if (!existsSync(ACTION_ENTRY)) throw new Error('dist/index.js is missing: npm run build');
const emulator = new ElbEmulator({
  credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
});
const url = await emulator.start();
const done = emulator.addJob(finishedJob({ endedAgoMs: MIN, outcome: 'COMPLETE' }));
const inputs = {
  endpoint: url,
  project_id: DEMO_PROJECT_ID,
  access_key: DEMO_ACCESS_KEY,
  secret_key: DEMO_SECRET_KEY,
  job_id: done.job_id,
};
const bare: number[] = [];
const action: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(await timeNodeE0());
  const r = await runAction({ inputs });
  if (r.code !== 0) throw new Error(`the action failed: ${r.stdout}${r.stderr}`);
  action.push(r.ms);
}
const ratio = median(action) / median(bare);
row('node -e 0 (median)', `${median(bare).toFixed(0)} ms`, '', true);
row(
  `cold start, finished job (median of ${RUNS})`,
  `${median(action).toFixed(0)} ms (${ratio.toFixed(2)}x)`,
  '<= 4x node -e 0',
  ratio <= 4,
);

// d. Bundle size and peak RSS (GNU time's maximum resident set, of a run that polls a few times).
const size = statSync(ACTION_ENTRY).size;
row(
  'dist/index.js (without check_name)',
  `${(size / 1024 / 1024).toFixed(2)} MB`,
  '<= 1.5 MB',
  size <= 1.5 * 1024 * 1024,
);
const polling = emulator.addJob(upgradeJob({ durationMs: 3_000, outcome: 'COMPLETE' }));
let rssKb = Number.NaN;
if (existsSync('/usr/bin/time')) {
  const r = await runAction({
    inputs: { ...inputs, job_id: polling.job_id, poll_interval: '500ms', max_poll_interval: '1s' },
    wrap: ['/usr/bin/time', '-f', 'max-rss-kb=%M'],
  });
  rssKb = Number(/max-rss-kb=(\d+)/.exec(r.stderr)?.[1]);
}
await emulator.stop();
row(
  'peak RSS of a polling run',
  Number.isNaN(rssKb) ? 'n/a (no /usr/bin/time)' : `${(rssKb / 1024).toFixed(0)} MB`,
  '<= 100 MB',
  rssKb / 1024 <= 100,
);

// The table.
const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const line = (cells: string[], widths: number[]) =>
  `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
const widths = [width('figure'), width('value'), width('budget'), 4];
console.log(`Node ${process.version}; ${execFileSync('nproc').toString().trim()} cores`);
console.log(line(['figure', 'value', 'budget', 'ok'], widths));
console.log(
  line(
    widths.map((w) => '-'.repeat(w)),
    widths,
  ),
);
for (const r of rows) console.log(line([r.figure, r.value, r.budget, r.ok ? 'yes' : 'NO'], widths));

// e. Many waiters on one account (bench/fleet.ts): 200 requests per 5 minutes shared by N waiters.
const fleet: string[][] = [];
let fleetOk = true;
for (const n of [1, 10, 50, 100]) {
  const f = await simulateFleet(n);
  const budget = lagBudgetMs(n);
  const ok = f.failed === 0 && f.throttled <= f.requests * 0.1 && f.p95LagMs <= budget;
  fleetOk &&= ok;
  fleet.push([
    String(n),
    String(f.requests),
    `${f.throttled} (${((100 * f.throttled) / f.requests).toFixed(1)}%)`,
    String(f.failed),
    `${(f.p50LagMs / 1000).toFixed(0)} s`,
    `${(f.p95LagMs / 1000).toFixed(0)} s`,
    `0 failed, 429 <= 10%, p95 <= ${(budget / 1000).toFixed(0)} s`,
    ok ? 'yes' : 'NO',
  ]);
}
const head = ['waiters', 'requests', '429 answers', 'failed steps', 'p50 lag', 'p95 lag', 'budget', 'ok'];
const fleetWidths = head.map((h, i) => Math.max(h.length, ...fleet.map((r) => (r[i] ?? '').length)));
console.log('\nMany waiters, one account (200 requests per 5 minutes; jobs end between 20 and 40 minutes):');
console.log(line(head, fleetWidths));
console.log(
  line(
    fleetWidths.map((w) => '-'.repeat(w)),
    fleetWidths,
  ),
);
for (const r of fleet) console.log(line(r, fleetWidths));
process.exitCode = rows.every((r) => r.ok) && fleetOk ? 0 : 1;
