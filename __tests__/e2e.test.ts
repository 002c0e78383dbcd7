/**
 * The bundled dist/index.js in a child process on Node 24, as the runner runs it (INPUT_* variables with
 * action.yml's defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), against the ELB emulator on loopback; and
 * each outcome and mode of the wait, with the same inputs and assertions, in process on a scripted clock.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_ENTRY, runAction } from '../emulator/action-runner.ts';
import { DEMO_PROJECT_ID, finishedJob, simpleJob, upgradeJob } from '../emulator/index.ts';
import { AK, errors, record, SK, useEmulator, warnings } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

describe('the bundle runs as the runner runs it', () => {
  const e2e = useEmulator();
  const { add, run } = e2e;

  it('is committed and runs on Node 24', () => {
    expect(existsSync(ACTION_ENTRY)).toBe(true);
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('waits for an upgrade to COMPLETE: outputs, summary, signed requests, status changes logged once', async () => {
    const id = add(upgradeJob({ durationMs: 1_200, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id });

    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({
      result: 'success',
      status: 'COMPLETE',
      job_id: id,
      error_code: '',
      error_msg: '',
    });
    const jobs = JSON.parse(r.outputs.jobs ?? '');
    expect(jobs).toHaveLength(1);
    expect(
      jobs[0].sub_jobs.map((s: { job_type: string; status: string }) => `${s.job_type}=${s.status}`),
    ).toEqual(['UPGRADE_INIT=SUCCESS', 'UPGRADE_TRAFFIC_SWITCH=SUCCESS', 'UPGRADE_COMPLETE=SUCCESS']);
    expect(Number(r.outputs.elapsed_seconds)).toBeGreaterThanOrEqual(1);

    expect(r.summary.split('\n')[0]).toMatch(/^## ✅ COMPLETE · UPGRADE · loadbalancer \S+ · [12]s$/);
    expect(r.summary).toContain(`### ✅ COMPLETE: UPGRADE ${id}`);
    expect(r.summary).toMatch(/```text\nUPGRADE_INIT +│ *█+ *│ SUCCESS /);
    expect(r.summary).toMatch(/\| ✅ SUCCESS \| UPGRADE_TRAFFIC_SWITCH \| loadbalancer /);

    // One line per status change, not one per poll.
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.includes(`UPGRADE job ${id}: RUNNING -> COMPLETE`))).toHaveLength(1);
    expect(lines.filter((l) => /^UPGRADE_INIT \S+: RUNNING -> SUCCESS$/.test(l))).toHaveLength(1);
    // Sub-job changes sit in a group under their job's line.
    expect(r.stdout).toMatch(
      new RegExp(
        `::group::\\[[^\\]]+\\] UPGRADE job ${id}: RUNNING, \\d sub-jobs? changed\\nUPGRADE_INIT \\S+: RUNNING -> SUCCESS\\n`,
      ),
    );

    // Every request signed, verified, with X-Project-Id among the signed headers.
    expect(e2e.emulator.requests.length).toBeGreaterThanOrEqual(3);
    for (const req of e2e.emulator.requests) {
      expect(req.signatureVerified).toBe(true);
      expect(req.path).toBe(`/v3/${DEMO_PROJECT_ID}/elb/jobs`);
      expect(req.query).toContain(`job_id=${id}`);
      expect(req.headers['x-project-id']).toBe(DEMO_PROJECT_ID);
      expect(String(req.headers.authorization)).toMatch(/SignedHeaders=host;x-project-id;x-sdk-date,/);
    }
  });

  it.each([
    // @actions/core's own messages: they say what to check.
    [
      'is not set',
      '',
      'Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.',
    ],
    [
      'cannot be written',
      '/proc/no-such-dir/step_summary.md',
      "Unable to access summary file: '/proc/no-such-dir/step_summary.md'. Check if the file has correct read/write permissions.",
    ],
  ])(
    'when the step summary %s: one warning, and the outputs and the result as usual',
    async (_, file, why) => {
      const id = add(finishedJob({ endedAgoMs: 60_000, outcome: 'COMPLETE' }));
      const r = await run({ job_id: id }, { GITHUB_STEP_SUMMARY: file });
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({ result: 'success', status: 'COMPLETE', job_id: id });
      expect(warnings(r)).toEqual([`::warning::Could not write the job summary: ${why}`]);
    },
  );

  it('uses the defaults of action.yml for every input it is not given', async () => {
    // Only the required inputs: fail_on, summary, timeout... come from action.yml via INPUT_* as on the runner.
    const id = add(upgradeJob({ durationMs: 100, outcome: 'FAIL', beginOffsetMs: -5_000 }));
    const r = record(
      await runAction({
        inputs: {
          endpoint: e2e.url,
          project_id: DEMO_PROJECT_ID,
          access_key: AK,
          secret_key: SK,
          job_id: id,
        },
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('(timeout 1h, polls every 5s to 30s)');
    expect(r.outputs.result).toBe('failure');
    expect(r.summary.split('\n')[0]).toMatch(/^## ❌ FAIL · UPGRADE /);
  });
});

describe('outcomes and modes (in process, on a scripted clock)', () => {
  const e2e = useInProcess();
  const { add, run } = e2e;

  it('passes on SUCCESS', async () => {
    const id = add(
      simpleJob({
        jobType: 'cloneLoadbalancer',
        statuses: [
          [0, 'RUNNING'],
          [500, 'SUCCESS'],
        ],
      }),
    );
    const r = await run({ job_id: id });
    expect([r.code, r.outputs.result, r.outputs.status]).toEqual([0, 'success', 'SUCCESS']);
  });

  it.each([
    ['FAIL', 'ELB.8907'],
    ['ROLLBACK_FAIL', 'ELB.8908'],
  ] as const)('fails on %s with the job error code in the error', async (outcome, code) => {
    const id = add(
      upgradeJob({ durationMs: 800, outcome, errorCode: code, errorMsg: 'backend <unhealthy>' }),
    );
    const r = await run({ job_id: id });
    expect(r.code).toBe(1);
    expect(errors(r)).toContain(`UPGRADE job ${id} ended in ${outcome} (${code}: backend <unhealthy>)`);
    expect(r.outputs).toMatchObject({
      result: 'failure',
      status: outcome,
      error_code: code,
      error_msg: 'backend <unhealthy>',
    });
    expect(r.summary.split('\n')[0]).toMatch(
      new RegExp(`^## ❌ ${outcome} · UPGRADE · loadbalancer \\S+ · \\d+s$`),
    );
    expect(r.summary).toContain('backend &#60;unhealthy&#62;');
    expect(r.summary).not.toContain('<unhealthy>');
  });

  it('passes on CANCEL by default and fails on it when fail_on lists it', async () => {
    const id = add(upgradeJob({ durationMs: 500, outcome: 'CANCEL' }));
    const lenient = await run({ job_id: id });
    expect([lenient.code, lenient.outputs.result, lenient.outputs.status]).toEqual([0, 'success', 'CANCEL']);
    const strict = await run({ job_id: id, fail_on: 'FAIL,ROLLBACK_FAIL,CANCEL' });
    expect([strict.code, strict.outputs.result, strict.outputs.status]).toEqual([1, 'failure', 'CANCEL']);
    expect(errors(strict)).toContain(`job ${id} ended in CANCEL`);
  });

  it('times out with the last known status, writing outputs and summary', async () => {
    const id = add(upgradeJob({ durationMs: 60_000, outcome: 'COMPLETE' }));
    const r = await run({ job_id: id, timeout: '1s' });
    expect(r.code).toBe(1);
    expect(errors(r)).toMatch(
      new RegExp(`Timed out after 1s \\(timeout 1s\\) waiting for UPGRADE job ${id} last (INIT|RUNNING)`),
    );
    expect(r.outputs).toMatchObject({ result: 'timeout', job_id: id, elapsed_seconds: '1' });
    expect(['INIT', 'RUNNING']).toContain(r.outputs.status);
    expect(r.summary.split('\n')[0]).toMatch(
      /^## ⏱️ TIMED OUT \(last (INIT|RUNNING)\) · UPGRADE · loadbalancer \S+ · \d+s so far$/,
    );
    expect(r.ms).toBeLessThan(5_000);
  });

  it('timeout 0 checks once: a finished job passes, a running one times out', async () => {
    const done = add(finishedJob({ endedAgoMs: 60_000, outcome: 'COMPLETE' }));
    const once = await run({ job_id: done, timeout: '0' });
    expect([once.code, once.outputs.result, e2e.emulator.requests.length]).toEqual([0, 'success', 1]);
    const running = add(upgradeJob({ durationMs: 60_000, outcome: 'COMPLETE' }));
    const r = await run({ job_id: running, timeout: '0' });
    expect([r.code, r.outputs.result, e2e.emulator.requests.length]).toEqual([1, 'timeout', 2]);
    expect(errors(r)).toContain('Checked once (timeout 0): still in progress');
  });

  it('with several job IDs, one failing ends the step at once and reports all', async () => {
    const ok = add(upgradeJob({ durationMs: 3_000, outcome: 'COMPLETE' }));
    const bad = add(upgradeJob({ durationMs: 600, outcome: 'FAIL', errorCode: 'ELB.8907' }));
    const slow = add(upgradeJob({ durationMs: 60_000, outcome: 'COMPLETE' }));
    const r = await run({ job_id: `${ok},\n${bad}\n${slow}` });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({
      result: 'failure',
      status: 'FAIL',
      job_id: ok,
      error_code: 'ELB.8907',
    });
    const jobs = JSON.parse(r.outputs.jobs ?? '') as Array<{ job_id: string; status: string }>;
    expect(jobs.map((j) => j.job_id)).toEqual([ok, bad, slow]);
    expect(jobs[1]?.status).toBe('FAIL');
    expect(jobs[2]?.status).not.toBe('COMPLETE');
    expect(r.summary.indexOf(bad)).toBeLessThan(r.summary.indexOf(ok));
    expect(r.ms).toBeLessThan(3_000 + 2_000);
  });

  it('with fail_fast false, waits for every job before failing', async () => {
    const ok = add(upgradeJob({ durationMs: 1_500, outcome: 'COMPLETE' }));
    const bad = add(upgradeJob({ durationMs: 300, outcome: 'FAIL' }));
    const r = await run({ job_id: `${ok},${bad}`, fail_fast: 'false' });
    expect(r.code).toBe(1);
    const jobs = JSON.parse(r.outputs.jobs ?? '') as Array<{ status: string }>;
    expect(jobs.map((j) => j.status)).toEqual(['COMPLETE', 'FAIL']);
    expect(r.outputs.status).toBe('FAIL');
  });

  it('resource_id: waits for the newest job of the load balancer, ignoring an older finished one', async () => {
    const lb = 'aaaaaaaa-0000-4000-8000-00000000beef';
    const old = add(finishedJob({ resourceId: lb, endedAgoMs: 10 * 60_000, outcome: 'FAIL' }));
    const fresh = add(upgradeJob({ resourceId: lb, durationMs: 1_000, outcome: 'COMPLETE' }));
    const r = await run({ resource_id: lb, job_type: 'UPGRADE' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ result: 'success', job_id: fresh, status: 'COMPLETE' });
    expect(r.stdout).toContain(`Found UPGRADE job ${fresh}`);
    expect(r.summary).not.toContain(old);
    expect(e2e.emulator.requests[0]?.query).toContain(`resource_id=${lb}`);
  });

  it('resource_id with begin_time: polls until a job appears, skipping jobs that began before', async () => {
    const lb = 'aaaaaaaa-0000-4000-8000-00000000cafe';
    add(finishedJob({ resourceId: lb, endedAgoMs: 60_000, outcome: 'COMPLETE' }));
    const fresh = add(
      upgradeJob({ resourceId: lb, durationMs: 800, outcome: 'COMPLETE', listedAfterMs: 700 }),
    );
    const since = new Date(Date.now() - 5_000).toISOString().replace('Z', '+00:00');
    const r = await run({ resource_id: lb, begin_time: since });
    expect(r.code).toBe(0);
    expect(r.outputs.job_id).toBe(fresh);
    expect(r.stdout).toContain(
      `::notice::No matching job for resource ${lb} yet; polling again until the timeout`,
    );
    expect(e2e.emulator.requests[0]?.query).toContain(
      `begin_time=${since.slice(0, 19).replace(/:/g, '%3A')}`,
    );
  });

  it('polls a job that is listed only after a delay, with one notice', async () => {
    const id = add(upgradeJob({ durationMs: 600, outcome: 'COMPLETE', listedAfterMs: 800 }));
    const r = await run({ job_id: id });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/::notice::/g)).toHaveLength(1);
    expect(r.stdout).toContain(`::notice::Job ${id} is not listed yet; polling again until the timeout`);
    expect(r.outputs.status).toBe('COMPLETE');
  });
});
