/**
 * The check run, end to end: the bundled action against the ELB emulator and a stand-in of GitHub's REST API that
 * records every check-run call.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GITHUB_TOKEN_STANDIN, type RunOptions } from '../emulator/action-runner.ts';
import { GitHubStandIn, upgradeJob } from '../emulator/index.ts';
import { TestProxy } from '../emulator/proxy.ts';
import { type E2E, errors, useEmulator, warnings } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const PR_HEAD = 'feedfacefeedfacefeedfacefeedfacefeedface';

/** A GitHub API stand-in and an event directory per test, and `withChecks` that runs with `check_name` against it. */
function useGitHub(e2e: E2E) {
  let github: GitHubStandIn;
  let apiUrl = '';
  let dir = '';
  beforeEach(async () => {
    github = new GitHubStandIn({ token: GITHUB_TOKEN_STANDIN });
    apiUrl = await github.start();
    dir = mkdtempSync(join(tmpdir(), 'event-'));
  });
  afterEach(async () => {
    await github.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get github() {
      return github;
    },
    get apiUrl() {
      return apiUrl;
    },
    get dir() {
      return dir;
    },
    withChecks: (
      inputs: Record<string, string>,
      env: Record<string, string> = {},
      options?: Partial<RunOptions>,
    ) => e2e.run({ check_name: 'ELB upgrade', ...inputs }, { GITHUB_API_URL: apiUrl, ...env }, options),
  };
}

describe('check run, end to end', () => {
  const e2e = useEmulator();
  const gh = useGitHub(e2e);

  it('is created in progress on GITHUB_SHA, updated on status changes only, and completed with the summary', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 1_200, outcome: 'COMPLETE' }));
    const r = await gh.withChecks({ job_id: id, max_poll_interval: '100ms' });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([]);

    const [create, ...rest] = gh.github.calls;
    expect(create).toMatchObject({
      method: 'POST',
      path: '/repos/example/app/check-runs',
      status: 201,
      body: {
        name: 'ELB upgrade',
        head_sha: SHA,
        status: 'in_progress',
        output: { title: `Waiting for job ${id}` },
      },
    });
    const updates = rest.slice(0, -1);
    const complete = rest.at(-1);
    // Polls every 100 ms for about 1.2 s: one update per poll that saw a change, not one per poll.
    const polls = e2e.emulator.requests.length;
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.length).toBeLessThan(polls);
    for (const u of updates) {
      expect(u).toMatchObject({ method: 'PATCH', path: '/repos/example/app/check-runs/1', status: 200 });
      expect(u.body).toMatchObject({
        status: 'in_progress',
        output: { title: expect.stringMatching(/UPGRADE/) },
      });
    }
    expect(complete?.body).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      output: { title: expect.stringMatching(/^✅ COMPLETE · UPGRADE · loadbalancer /) },
    });
    const run = gh.github.runs.get(1);
    expect(run?.output.summary?.trim()).toBe(r.summary.trim());
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success', head_sha: SHA });
  });

  it("goes through the action's dispatcher: HTTP_PROXY applies as to the ELB calls", async () => {
    // @actions/github on its own would never proxy a loopback address.
    const proxy = new TestProxy();
    const proxyUrl = await proxy.start();
    try {
      const id = e2e.add(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' }));
      const r = await gh.withChecks(
        { job_id: id, max_poll_interval: '100ms' },
        { HTTP_PROXY: proxyUrl, NO_PROXY: '', no_proxy: '' },
      );
      expect(r.code).toBe(0);
      expect(warnings(r)).toEqual([]);
      const host = new URL(gh.apiUrl).host;
      const viaProxy = proxy.seen.filter((s) => s.includes(host));
      expect(viaProxy.length).toBeGreaterThanOrEqual(1);
      expect(viaProxy.every((s) => s === `CONNECT ${host}` || /^(POST|PATCH) http:\/\//.test(s))).toBe(true);
      expect(gh.github.calls.length).toBeGreaterThanOrEqual(2);
      expect(gh.github.calls.at(0)).toMatchObject({ method: 'POST', status: 201 });
      expect(gh.github.calls.at(-1)).toMatchObject({
        method: 'PATCH',
        status: 200,
        body: { status: 'completed' },
      });
    } finally {
      await proxy.stop();
    }
  });

  it('cancelled while GitHub does not answer: gives the check run up and still ends within 5 s', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 60_000, outcome: 'COMPLETE' }));
    let child: ChildProcess | undefined;
    let sentAt = 0;
    const r = await gh.withChecks(
      { job_id: id, poll_interval: '200ms' },
      {},
      {
        onSpawn: (c) => {
          child = c;
        },
        onStdout: (chunk) => {
          if (!sentAt && chunk.includes('UPGRADE_INIT')) {
            sentAt = performance.now();
            gh.github.hang = true;
            child?.kill('SIGINT');
          }
        },
      },
    );
    expect(sentAt).toBeGreaterThan(0);
    expect(performance.now() - sentAt).toBeLessThan(5_000);
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'cancelled', job_id: id });
    expect(warnings(r)).toContainEqual(
      expect.stringContaining("Check run 'ELB upgrade' not completed within"),
    );
    // Ended by itself, not by the last-resort exit.
    expect(errors(r)).not.toContain('Could not finish reporting in time');
    // The update sent on UPGRADE_INIT hangs; the completion would queue behind it.
    expect(gh.github.calls.at(-1)).toMatchObject({ method: 'PATCH', status: 0 });
  });
});

describe('check run (in process)', () => {
  const e2e = useInProcess();
  const gh = useGitHub(e2e);

  it.each([
    ['FAIL', {}, 'failure'],
    ['timeout', { timeout: '1s' }, 'timed_out'],
  ] as const)('completes with the right conclusion: %s', async (kind, inputs, conclusion) => {
    const id = e2e.add(
      upgradeJob({
        durationMs: kind === 'FAIL' ? 300 : 60_000,
        outcome: kind === 'FAIL' ? 'FAIL' : 'COMPLETE',
      }),
    );
    const r = await gh.withChecks({ job_id: id, ...inputs });
    expect(r.code).toBe(1);
    expect(gh.github.runs.get(1)).toMatchObject({ status: 'completed', conclusion });
  });

  it('uses the pull request head SHA for pull_request events', async () => {
    const event = join(gh.dir, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: PR_HEAD } } }));
    const id = e2e.add(upgradeJob({ durationMs: 200, outcome: 'COMPLETE' }));
    const r = await gh.withChecks(
      { job_id: id },
      { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event },
    );
    expect(r.code).toBe(0);
    expect(gh.github.calls[0]?.body).toMatchObject({ head_sha: PR_HEAD });
  });

  it('without checks: write, warns once how to fix it and still passes', async () => {
    gh.github.deny = 'all';
    const id = e2e.add(upgradeJob({ durationMs: 800, outcome: 'COMPLETE' }));
    const r = await gh.withChecks({ job_id: id });
    expect(r.code).toBe(0);
    expect(r.outputs.result).toBe('success');
    const w = warnings(r);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(
      "Could not create check run 'ELB upgrade' (HTTP 403: Resource not accessible by integration",
    );
    expect(w[0]).toContain('permissions: checks: write');
    expect(gh.github.calls).toHaveLength(1);
    expect(r.summary).toContain('✅ COMPLETE');
  });

  it('a run whose updates are refused is left alone after one warning', async () => {
    gh.github.deny = 'update';
    const id = e2e.add(upgradeJob({ durationMs: 1_000, outcome: 'COMPLETE' }));
    const r = await gh.withChecks({ job_id: id, max_poll_interval: '100ms' });
    expect(r.code).toBe(0);
    expect(warnings(r)).toEqual([
      expect.stringContaining("Could not update check run 'ELB upgrade' (HTTP 403"),
    ]);
    expect(gh.github.calls.map((c) => `${c.method} ${c.status}`)).toEqual(['POST 201', 'PATCH 403']);
  });

  it('is not touched without check_name', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 200, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id }, { GITHUB_API_URL: gh.apiUrl });
    expect(r.code).toBe(0);
    expect(gh.github.calls).toHaveLength(0);
  });
});
