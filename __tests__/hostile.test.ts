/**
 * The pure defences against hostile answers: the log writer, the shape check, the renderers and the outputs at
 * 50,000 sub-jobs (linear time, bounded size).
 */
import { describe, expect, it } from 'vitest';
import type { MainJob, StatusChange, SubJob } from '../src/domain/types.ts';
import { parseListJobs, ShapeError } from '../src/huawei/job-shape.ts';
import { CHECK_SUMMARY_LIMIT } from '../src/report/check-run.ts';
import { logLine, logText, MAX_MESSAGE_CHARS, safeLog } from '../src/report/log.ts';
import { ProgressLog } from '../src/report/progress-log.ts';
import { escapeText, renderSummary, SUMMARY_LIMIT_BYTES } from '../src/report/summary.ts';
import { boundedOutputs, jobsOutput, MAX_OUTPUT_BYTES } from '../src/report/verdict.ts';
import { FAIL_ON, NOW, outcome } from './helpers/jobs.ts';

const SUBS = 50_000;

function bigJob(status = 'COMPLETE'): MainJob {
  const sub_jobs: SubJob[] = Array.from({ length: SUBS }, (_, i) => ({
    status: i % 1000 === 0 ? 'FAIL' : 'SUCCESS',
    begin_time: `2026-12-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
    end_time: '2026-12-01T11:00:00Z',
    job_id: `sub-${i}`,
    job_type: `STEP_${i}`,
    error_code: i % 1000 === 0 ? 'ELB.1' : '',
    error_msg: i % 1000 === 0 ? 'backend unhealthy' : '',
    entities: [{ resource_id: `lb-${i}`, resource_type: 'loadbalancer' }],
  }));
  return {
    job_id: 'big',
    job_type: 'UPGRADE',
    status,
    begin_time: '2026-12-01T10:00:00Z',
    end_time: '2026-12-01T11:00:00Z',
    resource_id: 'lb-1',
    sub_jobs,
  };
}

/** Milliseconds `fn` takes. */
function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

describe('the log writer', () => {
  it('makes one line with no control, escape or bidi character, never starting with a command', () => {
    expect(logLine('a\r\nb\rc\nd')).toBe('a b c d');
    expect(logLine('\x1b[31mred\x1b[0m \u202eevil\u2066 \u0085x')).toBe('[31mred[0m evil x');
    expect(logLine('::add-mask::x')).toBe('» ::add-mask::x');
    expect(logLine('  ::error::x')).toBe('»   ::error::x');
    expect(logLine('##[error]x')).toBe('» ##[error]x');
    expect(logLine('ok ::error:: inside')).toBe('ok ::error:: inside');
  });

  it('keeps the lines of a multi-line message, each safe', () => {
    expect(logText('HTTP 401.\n::add-mask::x\r\nhint')).toBe('HTTP 401.\n» ::add-mask::x\nhint');
  });

  it('bounds a message', () => {
    const line = logLine('y'.repeat(1_500_000));
    expect(line.length).toBeLessThan(MAX_MESSAGE_CHARS + 60);
    expect(line).toMatch(/y… \(1496000 more characters not shown\)$/);
  });

  it('redacts before anything else, for every kind of message', () => {
    const seen: string[] = [];
    const push = (m: string) => void seen.push(m);
    const io = safeLog(
      {
        debug: push,
        info: push,
        startGroup: push,
        endGroup: () => {},
        notice: push,
        warning: push,
        setFailed: push,
      },
      (t) => t.split('SECRET').join('***'),
    );
    io.debug('a SECRET');
    io.info('::add-mask::SECRET');
    io.startGroup('SECRET\ngroup');
    io.notice('SECRET');
    io.warning('w SECRET');
    io.setFailed('SECRET\n::error::x');
    expect(seen).toEqual(['a ***', '» ::add-mask::***', '*** group', '***', 'w ***', '***\n» ::error::x']);
  });
});

describe('the shape check', () => {
  it('keeps only documented fields, tolerates gaps, and names the first bad field', () => {
    const parsed = parseListJobs({
      jobs: [
        { job_id: 'j', status: null, extra: { deep: [1] }, sub_jobs: [{ job_id: 's', entities: null }] },
      ],
      page_info: { next_marker: null, current_count: 1 },
    });
    expect(parsed).toEqual({
      jobs: [{ job_id: 'j', sub_jobs: [{ job_id: 's' }] }],
      page_info: { current_count: 1 },
    });
    const bad = (() => {
      try {
        parseListJobs({ jobs: [{ job_id: 'j', sub_jobs: [{ entities: [{ resource_id: 7 }] }] }] });
      } catch (error) {
        return error;
      }
    })();
    expect(bad).toBeInstanceOf(ShapeError);
    expect((bad as ShapeError).field).toBe('jobs[0].sub_jobs[0].entities[0].resource_id');
    expect((bad as ShapeError).retryable).toBe(false);
    expect(() => parseListJobs({ jobs: [{ status: 'COMPLETE' }] })).toThrow(
      'ListJobs answered the job at position 0 without "jobs[0].job_id", which must be a string',
    );
    expect(() => parseListJobs({ jobs: [], page_info: { current_count: '1' } })).toThrow(
      'ListJobs answered its page with "page_info.current_count" as a string, not a number',
    );
  });
});

describe(`${SUBS} sub-jobs`, () => {
  const job = bigJob();
  const out = outcome({ tracked: [{ jobId: 'big', job, finishedAtPoll: 1 }], lastFinished: job });

  it('the summary renders in well under a second, under 1 MiB, saying what was cut', () => {
    let md = '';
    expect(
      timed(() => (md = renderSummary({ view: out, failOn: FAIL_ON, now: NOW, headline: 'done' }))),
    ).toBeLessThan(1_000);
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(md).toMatch(/: 1 of 1 jobs and \d+ of 50000 sub-jobs shown\. /);
    // Failed sub-jobs come first, so they are among those shown.
    expect(md).toContain('**STEP_49000**');
  });

  it("the check-run text fits GitHub's limit", () => {
    const md = renderSummary({
      view: out,
      failOn: FAIL_ON,
      now: NOW,
      headline: 'x',
      limitBytes: CHECK_SUMMARY_LIMIT,
    });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(CHECK_SUMMARY_LIMIT);
    expect(md).toMatch(/sub-jobs shown/);
  });

  it('the progress log writes a bounded group in well under a second', () => {
    const lines: string[] = [];
    const log = new ProgressLog({
      info: (m) => lines.push(m),
      startGroup: (m) => lines.push(m),
      endGroup: () => lines.push('end'),
    });
    const changes: StatusChange[] = (job.sub_jobs ?? []).map((subJob) => ({
      jobId: 'big',
      subJob,
      to: subJob.status ?? '',
      job,
      elapsedMs: 0,
    }));
    expect(timed(() => log.changes(changes, 0))).toBeLessThan(1_000);
    expect(lines).toHaveLength(1 + 200 + 1 + 1);
    expect(lines.at(-2)).toBe('… and 49800 more sub-jobs changed (the summary lists them all)');
  });

  it('the jobs output stays under 1 MB, sub-jobs left out first, and says so', () => {
    let result: ReturnType<typeof jobsOutput> = { json: '' };
    expect(timed(() => (result = jobsOutput([job])))).toBeLessThan(1_000);
    expect(Buffer.byteLength(result.json)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    const [kept] = JSON.parse(result.json) as Array<MainJob & { sub_jobs_left_out: number }>;
    expect(kept?.job_id).toBe('big');
    expect((kept?.sub_jobs?.length ?? 0) + (kept?.sub_jobs_left_out ?? 0)).toBe(SUBS);
    expect(result.leftOut).toMatch(/^\d+ of 50000 sub-jobs$/);
    const { warnings } = boundedOutputs(out);
    expect(warnings).toEqual([
      expect.stringMatching(/^The jobs output was shortened .*: left out \d+ of 50000 sub-jobs/),
    ]);
  });

  it('a small jobs output is left whole', () => {
    const small: MainJob = { job_id: 'j', status: 'COMPLETE', sub_jobs: [{ job_id: 's' }] };
    expect(jobsOutput([small])).toEqual({ json: JSON.stringify([small]) });
  });
});

describe('API text in Markdown', () => {
  it('no autolink, mention or reference; reads the same', () => {
    const text = 'https://x.example www.x.example a@x.example @octocat #12 GH-3 org/repo#4';
    const escaped = escapeText(text);
    expect(escaped).not.toMatch(/:\/\/|www\.|@\w|#\d|GH-\d/i);
    expect(escaped.replaceAll('\u2060', '')).toBe(text);
  });

  it('clips a long field', () => {
    expect(escapeText('z'.repeat(5_000))).toBe(`${'z'.repeat(1_000)}… (4000 more characters)`);
  });
});
