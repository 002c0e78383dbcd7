/**
 * Many waiters, one account, end to end: ten copies of the bundled action in parallel against one emulator whose
 * gateway allows few requests per credential. With jitter and slow-down all succeed with fewer throttled answers
 * than the same fleet with them turned off (ELB_JOB_WAIT_ADAPTIVE=false: 429s retried inside each poll, as before).
 */
import { describe, expect, it } from 'vitest';
import { runAction } from '../emulator/action-runner.ts';
import { DEMO_PROJECT_ID, ElbEmulator, upgradeJob } from '../emulator/index.ts';
import { AK, record, SK } from './helpers/e2e.ts';

const COPIES = 10;

async function fleet(
  env: Record<string, string>,
): Promise<{ ok: number; throttled: number; notices: number }> {
  const emulator = new ElbEmulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    // 10 copies polling every 200 ms to 500 ms ask for 20 to 50 requests a second; the account allows 4.
    rateLimit: { requests: 8, perMs: 2_000 },
  });
  const url = await emulator.start();
  try {
    const ids = Array.from(
      { length: COPIES },
      () => emulator.addJob(upgradeJob({ durationMs: 3_000, outcome: 'COMPLETE' })).job_id,
    );
    const runs = await Promise.all(
      ids.map((id) =>
        runAction({
          inputs: {
            endpoint: url,
            project_id: DEMO_PROJECT_ID,
            access_key: AK,
            secret_key: SK,
            job_id: id,
            poll_interval: '200ms',
            max_poll_interval: '500ms',
            timeout: '60s',
          },
          env,
        }).then(record),
      ),
    );
    return {
      ok: runs.filter((r) => r.code === 0 && r.outputs.result === 'success').length,
      throttled: emulator.requests.filter((r) => r.status === 429).length,
      notices: runs.filter((r) => r.stdout.includes('::notice::Huawei Cloud')).length,
    };
  } finally {
    await emulator.stop();
  }
}

describe('many parallel waits on one account', () => {
  it('all succeed, with fewer throttled answers than without jitter and slow-down', {
    timeout: 60_000,
  }, async () => {
    // One after the other: ten processes starting at once already share two cores, and a second fleet beside them
    // would spread their first polls as much as the jitter does.
    const adaptive = await fleet({});
    const plain = await fleet({ ELB_JOB_WAIT_ADAPTIVE: 'false' });
    expect(adaptive.ok).toBe(COPIES);
    expect(plain.ok).toBe(COPIES);
    expect(adaptive.throttled).toBeGreaterThan(0);
    expect(adaptive.notices).toBeGreaterThan(0);
    expect(adaptive.throttled).toBeLessThan(plain.throttled);
  });
});
