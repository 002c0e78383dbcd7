/**
 * Starts the ELB emulator for manual use: `node emulator/cli.ts [--port 8080] [--duration-ms 60000]
 * [--outcome COMPLETE|FAIL|ROLLBACK_FAIL|CANCEL] [--listed-after-ms 0] [--max-page-size 2000]`.
 * Prints the URL, the demo credential and the job, then logs one line per request. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import {
  DEMO_ACCESS_KEY,
  DEMO_AUTH_TOKEN,
  DEMO_JOB_ID,
  DEMO_RESOURCE_ID,
  DEMO_SECRET_KEY,
} from './fixtures.ts';
import { DEMO_PROJECT_ID, type UpgradeOutcome, upgradeJob } from './jobs.ts';
import { ElbEmulator } from './server.ts';

const OUTCOMES: UpgradeOutcome[] = ['COMPLETE', 'FAIL', 'ROLLBACK_FAIL', 'CANCEL'];

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    console.error(`--${name} must be a whole number, got '${value}'`);
    process.exit(2);
  }
  return Number(value);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'duration-ms': { type: 'string' },
    outcome: { type: 'string' },
    'listed-after-ms': { type: 'string' },
    'max-page-size': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help === true) {
  console.log(
    'usage: node emulator/cli.ts [--port N] [--duration-ms MS] [--outcome COMPLETE|FAIL|ROLLBACK_FAIL|CANCEL]\n' +
      '                            [--listed-after-ms MS] [--max-page-size N]',
  );
  process.exit(0);
}

const outcome = (values.outcome ?? 'COMPLETE').toUpperCase() as UpgradeOutcome;
if (!OUTCOMES.includes(outcome)) {
  console.error(`--outcome must be one of ${OUTCOMES.join(', ')}, got '${values.outcome}'`);
  process.exit(2);
}
const durationMs = intOption(values['duration-ms'], 'duration-ms', 60_000);
const listedAfterMs = intOption(values['listed-after-ms'], 'listed-after-ms', 0);

const emulator = new ElbEmulator({
  credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
  authTokens: [DEMO_AUTH_TOKEN],
  maxPageSize: intOption(values['max-page-size'], 'max-page-size', 2000),
  onRequest: (r) => {
    const query = r.query === '' ? '' : `?${r.query}`;
    const fault = r.fault === undefined ? '' : ` fault=${r.fault}`;
    const auth = r.authenticated ? r.auth : `rejected (${r.authError ?? r.auth})`;
    console.log(
      `${new Date(r.time).toISOString()} ${r.method} ${r.path}${query} -> ${r.status ?? 'reset'} ${auth}${fault}`,
    );
  },
});
const url = await emulator.start(intOption(values.port, 'port', 0));
const job = emulator.addJob(
  upgradeJob({
    jobId: DEMO_JOB_ID,
    resourceId: DEMO_RESOURCE_ID,
    projectId: DEMO_PROJECT_ID,
    durationMs,
    outcome,
    listedAfterMs,
  }),
);

console.log(`ELB emulator listening on ${url}
  project_id:  ${DEMO_PROJECT_ID}
  access_key:  ${DEMO_ACCESS_KEY}
  secret_key:  ${DEMO_SECRET_KEY}
  auth_token:  ${DEMO_AUTH_TOKEN}
  job_id:      ${job.job_id} (UPGRADE of ${job.resource_id}, ${outcome} after ${durationMs} ms)
Try: curl -H 'X-Auth-Token: ${DEMO_AUTH_TOKEN}' ${url}/v3/${DEMO_PROJECT_ID}/elb/jobs
Ctrl-C stops it.`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
