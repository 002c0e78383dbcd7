/**
 * Broken or hostile answers: the emulator serving raw bodies (`raw`), bodies that never end (`endless`) and huge
 * jobs. The action must stay correct whatever the server says: no runner command injected into its log, no crash,
 * no stall, nothing over GitHub's size limits. What only a process shows (its stdout, a crash, memory, a signal)
 * runs the bundle; the rest runs in process on a scripted clock.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID, type Fault, upgradeJob } from '../emulator/index.ts';
import { errors, FAST, useEmulator, warnings } from './helpers/e2e.ts';
import { useInProcess } from './helpers/in-process.ts';

const JOB = '8a1b2c3d-0000-4000-8000-00000000b0b0';
const LB = '8a1b2c3d-0000-4000-8000-0000000000lb';
const T0 = '2026-12-01T10:00:00Z';
const T1 = '2026-12-01T10:05:00Z';

/** A main job as the API shapes it, with `extra` fields over the defaults. */
function job(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'COMPLETE',
    begin_time: T0,
    end_time: T1,
    job_id: JOB,
    job_type: 'UPGRADE',
    error_code: '',
    error_msg: '',
    project_id: DEMO_PROJECT_ID,
    resource_id: LB,
    sub_jobs: [],
    ...extra,
  };
}

function sub(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'SUCCESS',
    begin_time: T0,
    end_time: T1,
    job_id: `sub-${i}`,
    job_type: 'UPGRADE_STEP',
    error_code: '',
    error_msg: '',
    entities: [{ resource_id: LB, resource_type: 'loadbalancer' }],
    ...extra,
  };
}

/** A ListJobs page of these jobs, as text. */
function page(jobs: unknown[], pageInfo: Record<string, unknown> = {}): string {
  return JSON.stringify({ jobs, page_info: { current_count: jobs.length, ...pageInfo }, request_id: 'r-1' });
}

/** Every ListJobs answer is `body` (the default: for as many requests as a run makes). */
function serve(body: string | ((n: number) => string), times = 10_000): Fault {
  return { kind: 'raw', body, times };
}

/** Lines of stdout the runner would execute as a command, other than the action's own kinds of command. */
function strayCommands(stdout: string): string[] {
  const own = /^::(add-mask|debug|group|endgroup|error|warning|notice)::/;
  return stdout.split(/\r\n|\r|\n/).filter((l) => /^\s*(::|##\[)/.test(l) && !own.test(l.trimStart()));
}

/** No line of stdout is a stack trace of the bundle, and stderr is empty. */
function expectNoCrash(r: { stdout: string; stderr: string }): void {
  expect(r.stderr).toBe('');
  expect(r.stdout).not.toMatch(/^\s+at .*(index\.js|node:internal)/m);
}

describe('API text never starts a log line', () => {
  const e2e = useEmulator();

  it('line breaks, runner commands, terminal escapes and bidi overrides in every field', async () => {
    const evil =
      '\n::add-mask::INJECTED\r::stop-commands::pwned\r\n::error::INJECTED \x1b[31mred\x1b[0m \u202eevil\n##[error]x';
    const body = page([
      job({
        status: 'FAIL',
        job_type: `UPGRADE${evil}`,
        error_code: `ELB.1${evil}`,
        error_msg: `failed${evil}`,
        sub_jobs: [sub(1, { job_type: `::add-mask::SUBTYPE${evil}`, status: 'FAIL', error_msg: evil })],
      }),
    ]);
    e2e.emulator.injectFaults(serve(body));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('failure');
    expect(strayCommands(r.stdout)).toEqual([]);
    // The action's own commands carry the text, made one line: the one error says so once.
    expect(errors(r).split('\n')).toHaveLength(1);
    expect(errors(r)).toMatch(
      /^::error::UPGRADE%0A» ::add-mask::INJECTED%0A» ::stop-commands::pwned%0A» ::error::INJECTED /,
    );
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\u202e');
    expect(r.stdout).toContain('» ::add-mask::SUBTYPE');
    // The masked text still reaches the summary, escaped, and the outputs, unchanged.
    expect(r.summary).toContain(
      'UPGRADE ::add-mask::INJECTED ::stop-commands::pwned ::error::INJECTED &#91;31mred&#91;0m evil',
    );
    expect(JSON.parse(r.outputs.jobs ?? '')[0].job_type).toBe(`UPGRADE${evil}`);
    expectNoCrash(r);
  });

  it('in error bodies and headers of a failed request', async () => {
    e2e.emulator.injectFaults([
      {
        kind: 'raw',
        status: 503,
        headers: { 'X-Request-Id': 'x::warning::y' },
        body: JSON.stringify({
          error_code: 'APIGW.0503\n::add-mask::X',
          error_msg: 'down\r::error::INJECTED',
        }),
      },
    ]);
    const id = e2e.add(upgradeJob({ durationMs: 200, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id, ...FAST });
    expect(r.code).toBe(0);
    expect(strayCommands(r.stdout)).toEqual([]);
    expect(warnings(r)).toEqual([
      expect.stringMatching(
        /^::warning::Request failed \(HTTP 503 APIGW\.0503%0A» ::add-mask::X: down%0A» ::error::INJECTED \(request ID x::warning::y\)\); retry 1 in /,
      ),
    ]);
  });
});

describe('fields of the wrong type end the step with an error that names them', () => {
  const e2e = useInProcess();

  it.each([
    ['sub_jobs: 5', { sub_jobs: 5 }, `"jobs[0].sub_jobs" as a number, not an array`],
    ['status: 123', { status: 123 }, `"jobs[0].status" as a number, not a string`],
    [
      'an entity that is a string',
      { sub_jobs: [sub(1, { entities: ['lb'] })] },
      `"jobs[0].sub_jobs[0].entities[0]" as a string, not an object`,
    ],
    [
      'a sub-job status that is an object',
      { sub_jobs: [sub(1, { status: { s: 'FAIL' } })] },
      `"jobs[0].sub_jobs[0].status" as an object, not a string`,
    ],
  ])('%s', async (_name, fields, named) => {
    e2e.emulator.injectFaults(serve(page([job(fields)])));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('error');
    expect(errors(r)).toBe(`::error::ListJobs answered job "${JOB}" with ${named}`);
    expect(r.summary).toContain('ERROR');
    expect(e2e.emulator.requests).toHaveLength(1);
    expectNoCrash(r);
  });

  it('tolerates harmless gaps and ignores what it does not read, however deep', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const body = page([job({ sub_jobs: null, error_code: null, end_time: null, extra: 'x' })]).replace(
      '"extra":"x"',
      `"extra":${deep}`,
    );
    e2e.emulator.injectFaults(serve(body));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(0);
    expect(r.outputs.result).toBe('success');
    expect(JSON.parse(r.outputs.jobs ?? '')).toEqual([
      {
        status: 'COMPLETE',
        begin_time: T0,
        job_id: JOB,
        job_type: 'UPGRADE',
        error_msg: '',
        project_id: DEMO_PROJECT_ID,
        resource_id: LB,
      },
    ]);
    expectNoCrash(r);
  });
});

describe('the last resort', () => {
  const e2e = useEmulator();

  it('an unexpected exception (outputs that cannot be written): summary, one error line, no stack', async () => {
    const id = e2e.add(upgradeJob({ durationMs: 200, outcome: 'COMPLETE' }));
    const r = await e2e.run({ job_id: id, ...FAST }, { GITHUB_OUTPUT: '/proc/no-such-dir/output' });
    expect(r.code).toBe(1);
    expect(errors(r)).toMatch(/^::error::Unexpected error: .*no-such-dir/);
    expect(errors(r).split('\n')).toHaveLength(1);
    expect(r.summary).toMatch(/^## ⚠️ ERROR\n\nUnexpected error: /);
    expectNoCrash(r);
  });
});

describe('size and time', () => {
  const e2e = useEmulator();

  it('paging with a marker that never repeats: timeout still holds, in real time', async () => {
    e2e.emulator.injectFaults(serve((n) => page([job({ job_id: `other-${n}` })], { next_marker: `m-${n}` })));
    const r = await e2e.run({ job_id: JOB, poll_interval: '100ms', timeout: '1s' });
    expect(r.outputs.result).toBe('timeout');
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(1_000 + 2_000);
    expect(errors(r)).toMatch(/^::error::Timed out after 1s \(timeout 1s\)/);
  });

  it('a body that never ends: a clear error past 64 MiB, in bounded memory', async () => {
    e2e.emulator.injectFaults({ kind: 'endless', times: 10 });
    const r = await e2e.run({ job_id: JOB, ...FAST }, {}, { wrap: ['/usr/bin/time', '-f', 'rss=%M'] });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('error');
    expect(errors(r)).toBe('::error::HTTP 200 with a body over 64 MiB; not read further');
    expect(e2e.emulator.requests).toHaveLength(1);
    const rssKb = Number(/rss=(\d+)/.exec(r.stderr)?.[1]);
    expect(rssKb).toBeLessThan(400_000);
  });

  it('50,000 sub-jobs still running: the step ends within 5 s of SIGINT', async () => {
    const subs = Array.from({ length: 50_000 }, (_, i) => sub(i, { status: 'RUNNING', end_time: '' }));
    e2e.emulator.injectFaults(serve(page([job({ status: 'RUNNING', end_time: '', sub_jobs: subs })])));
    let child: ChildProcess | undefined;
    let sentAt = 0;
    const r = await e2e.run(
      { job_id: JOB, poll_interval: '100ms', max_poll_interval: '100ms', timeout: '60s' },
      {},
      {
        onSpawn: (c) => {
          child = c;
        },
        onStdout: (chunk) => {
          if (!sentAt && chunk.includes('more sub-jobs changed')) {
            sentAt = performance.now();
            child?.kill('SIGINT');
          }
        },
      },
    );
    expect(sentAt).toBeGreaterThan(0);
    expect(performance.now() - sentAt).toBeLessThan(5_000);
    expect(r.outputs.result).toBe('cancelled');
    expect(Buffer.byteLength(r.summary)).toBeLessThan(1024 * 1024);
  });
});

describe('huge answers (in process)', () => {
  const e2e = useInProcess();

  it('50,000 sub-jobs: rendered at once, summary and outputs under their limits, with what was left out', async () => {
    const subs = Array.from({ length: 50_000 }, (_, i) => sub(i, { error_msg: 'x'.repeat(20) }));
    e2e.emulator.injectFaults(serve(page([job({ sub_jobs: subs })])));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(0);
    expect(Buffer.byteLength(r.summary)).toBeLessThan(1024 * 1024);
    expect(r.summary).toMatch(
      /Summary cut to stay under GitHub's size limit: 1 of 1 jobs and \d+ of 50000 sub-jobs shown/,
    );
    expect(Buffer.byteLength(r.outputs.jobs ?? '')).toBeLessThan(1_000_000);
    const [kept] = JSON.parse(r.outputs.jobs ?? '');
    expect(kept.sub_jobs.length + kept.sub_jobs_left_out).toBe(50_000);
    expect(warnings(r)).toContainEqual(
      expect.stringMatching(
        /^::warning::The jobs output was shortened to stay under GitHub's 1 MB limit for one output: left out \d+ of 50000 sub-jobs/,
      ),
    );
    // The log says how many changed without printing 50,000 lines.
    expect(r.stdout).toContain('… and 49800 more sub-jobs changed');
    expect(r.ms).toBeLessThan(8_000);
  });

  it('a 1.5 MB error_msg: bounded error line, summary under 1 MiB, error_msg output cut with a warning', async () => {
    const huge = `boom ${'y'.repeat(1_500_000)}`;
    e2e.emulator.injectFaults(serve(page([job({ status: 'FAIL', error_code: 'ELB.9', error_msg: huge })])));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(1);
    expect(r.outputs.result).toBe('failure');
    const error = errors(r);
    expect(error).toMatch(
      /^::error::UPGRADE job 8a1b2c3d-0000-4000-8000-00000000b0b0 ended in FAIL \(ELB\.9: boom y+… \(\d+ more characters not shown\)$/,
    );
    expect(error.length).toBeLessThan(5_000);
    expect(Buffer.byteLength(r.summary)).toBeLessThan(1024 * 1024);
    expect(r.summary).toMatch(/^## ❌ FAIL · UPGRADE/);
    expect(r.outputs.error_msg?.length).toBeLessThan(70_000);
    expect(r.outputs.error_msg).toMatch(/^boom y+… \(cut: \d+ more characters\)$/);
    expect(warnings(r)).toContainEqual(
      '::warning::The error_msg output was cut to 65536 of its 1500005 characters',
    );
    expect(Buffer.byteLength(r.outputs.jobs ?? '')).toBeLessThan(1_000_000);
  });
});

describe('paging', () => {
  const e2e = useInProcess();

  it('follows next_marker past a page shorter than limit, until the marker is absent', async () => {
    e2e.emulator.injectFaults(
      serve((n) =>
        n % 2 === 1 ? page([job({ job_id: 'other' })], { next_marker: 'other' }) : page([job()]),
      ),
    );
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('COMPLETE');
    expect(e2e.emulator.requests.map((q) => new URLSearchParams(q.query).get('marker'))).toEqual([
      null,
      'other',
    ]);
  });

  it('a marker that repeats ends the paging with a warning', async () => {
    e2e.emulator.injectFaults(serve(page([job()], { next_marker: 'same' })));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(0);
    expect(e2e.emulator.requests).toHaveLength(2);
    expect(warnings(r)).toEqual([
      '::warning::ListJobs handed out the page marker "same" a second time (page 2); paging stops there',
    ]);
  });
});

describe('values from answers that go into URLs and headers', () => {
  const e2e = useInProcess();

  it('a project ID from IAM that is not one: a clear error and no ELB request', async () => {
    e2e.emulator.injectFaults({
      kind: 'raw',
      routes: ['projects'],
      body: JSON.stringify({ projects: [{ id: '../../v3/x?y=', name: 'cn-north-4' }] }),
    });
    const r = await e2e.run({
      job_id: JOB,
      project_id: '',
      region: 'cn-north-4',
      iam_endpoint: e2e.url,
      ...FAST,
    });
    expect(r.code).toBe(1);
    expect(errors(r)).toBe(
      "::error::IAM's project lookup for cn-north-4 answered with a project ID that is not one (13 characters, not letters, digits and '-'); set project_id explicitly",
    );
    expect(e2e.emulator.requests.map((q) => q.route)).toEqual(['projects']);
  });

  it("keeps an endpoint's path prefix as given", async () => {
    const r = await e2e.run({ job_id: JOB, endpoint: `${e2e.url}/a%20b`, timeout: '0' });
    expect(r.code).toBe(1);
    expect(e2e.emulator.requests[0]?.path).toBe(`/a%20b/v3/${DEMO_PROJECT_ID}/elb/jobs`);
  });

  it('plain http:// off this machine: a warning that credentials travel in clear', async () => {
    const r = await e2e.run({
      job_id: JOB,
      endpoint: 'http://192.0.2.1:9',
      timeout: '1s',
      request_timeout: '1s',
    });
    expect(warnings(r)[0]).toBe(
      '::warning::endpoint uses plain http:// to 192.0.2.1: credentials, tokens and signed requests travel in clear. Use https:// unless this network is private and trusted.',
    );
    const local = await e2e.run({ job_id: JOB, timeout: '0' });
    expect(warnings(local)).toEqual([]);
  });
});

describe('API text in the summary reads as text', () => {
  const e2e = useInProcess();

  it('no autolinked URL, address, @mention or #reference', async () => {
    const text = 'see https://evil.example/x, www.evil.example, ops@evil.example, @octocat, #1 and GH-2';
    e2e.emulator.injectFaults(serve(page([job({ status: 'FAIL', error_code: 'E', error_msg: text })])));
    const r = await e2e.run({ job_id: JOB, ...FAST });
    expect(r.code).toBe(1);
    const caution = r.summary.split('\n').find((l) => l.startsWith('> **E: ')) ?? '';
    expect(caution).not.toMatch(/https:\/\/|www\.|@[a-z]|#\d|GH-\d/i);
    // Only invisible word joiners were added: the text reads the same.
    expect(caution.replaceAll('\u2060', '')).toContain(
      'see https://evil.example/x, www.evil.example, ops@evil.example, @octocat, #1 and GH-2',
    );
  });
});
