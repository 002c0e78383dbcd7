import { describe, expect, it } from 'vitest';
import type { MainJob } from '../src/domain/types.ts';
import { consoleUrl, escapeText, renderSummary, timeline, verdictLine } from '../src/report/summary.ts';
import { headline } from '../src/report/verdict.ts';
import { completed, FAIL_ON, NOW, oneFailedOfTwo, outcome } from './helpers/jobs.ts';

describe('escapeText', () => {
  it('neutralises HTML, table pipes, links, code spans, emphasis and new lines', () => {
    expect(escapeText('<img src=x onerror=alert(1)> a|b [x](y) `c` \\ "q" \'s\' *em*\nnext')).toBe(
      '&#60;img src=x onerror=alert(1)&#62; a&#124;b &#91;x&#93;(y) &#96;c&#96; &#92; &#34;q&#34; &#39;s&#39; &#42;em&#42; next',
    );
    expect(escapeText('UPGRADE_TRAFFIC_SWITCH')).toBe('UPGRADE_TRAFFIC_SWITCH');
  });
});

describe('verdictLine', () => {
  it('says status, type, resource and duration first', () => {
    const out = outcome({
      tracked: [{ jobId: 'job-ok', job: completed, finishedAtPoll: 3 }],
      lastFinished: completed,
    });
    expect(verdictLine(out, NOW)).toBe('✅ COMPLETE · UPGRADE · loadbalancer lb-1 · 28m 29s');
  });

  it('names the failing job among several, and counts', () => {
    const out = oneFailedOfTwo();
    expect(verdictLine(out, NOW)).toBe('❌ FAIL · UPGRADE · loadbalancer lb-2 · 5m 30s · 1 of 2 jobs failed');
  });

  it('a timeout and a cancellation keep the last status; an error with no job says so', () => {
    const running: MainJob = {
      job_id: 'r',
      job_type: 'UPGRADE',
      status: 'RUNNING',
      begin_time: '2024-03-23T08:50:00Z',
    };
    expect(verdictLine(outcome({ result: 'timeout', tracked: [{ jobId: 'r', job: running }] }), NOW)).toBe(
      '⏱️ TIMED OUT (last RUNNING) · UPGRADE · 10m so far',
    );
    expect(verdictLine(outcome({ result: 'cancelled', tracked: [{ jobId: 'r', job: running }] }), NOW)).toBe(
      '🚫 CANCELLED (last RUNNING) · UPGRADE · 10m so far',
    );
    expect(verdictLine(outcome({ result: 'error', tracked: [{ jobId: 'x' }] }), NOW)).toBe(
      '⚠️ ERROR · job x · 1m 5s',
    );
  });
});

describe('timeline', () => {
  it('draws each sub-job where it began, as long as it took, in the order they began', () => {
    expect(timeline(completed, NOW, 20)).toEqual([
      '```text',
      'UPGRADE_INIT           │██████████████████  │ SUCCESS       26m 2s',
      'UPGRADE_TRAFFIC_SWITCH │                  █ │ SUCCESS       0s',
      '                        28m 29s from 08:20:42 UTC; █ done ▒ running ▓ failed',
      '```',
    ]);
  });

  it('marks a failed sub-job, a running one and one not started', () => {
    const job: MainJob = {
      job_id: 'j',
      begin_time: '2024-03-23T08:50:00Z',
      sub_jobs: [
        {
          job_type: 'A',
          status: 'FAIL',
          begin_time: '2024-03-23T08:50:00Z',
          end_time: '2024-03-23T08:55:00Z',
        },
        { job_type: 'B', status: 'RUNNING', begin_time: '2024-03-23T08:55:00Z', end_time: '' },
        { job_type: 'C`x', status: 'INIT', begin_time: '' },
      ],
    };
    expect(timeline(job, NOW, 10)).toEqual([
      '```text',
      'A       │▓▓▓▓▓     │ FAIL          5m',
      'B       │     ▒▒▒▒▒│ RUNNING       5m so far',
      'C?x     │          │ INIT          not started',
      '         10m from 08:50:00 UTC; █ done ▒ running ▓ failed',
      '```',
    ]);
  });
});

describe('consoleUrl', () => {
  it('links a load balancer on the public cloud, not elsewhere', () => {
    expect(consoleUrl(completed, 'cn-north-4', undefined)).toBe(
      'https://console.huaweicloud.com/vpc/?region=cn-north-4#/elb/detail/basicInfo?ulbId=lb-1',
    );
    expect(consoleUrl(completed, 'cn-north-4', 'https://elb.cn-north-4.myhuaweicloud.com')).toContain(
      'ulbId=lb-1',
    );
    expect(consoleUrl(completed, 'eu-west-101', 'https://elb.eu-west-101.myhuaweicloud.eu')).toBeUndefined();
    expect(consoleUrl(completed, undefined, undefined)).toBeUndefined();
    expect(
      consoleUrl({ ...completed, job_type: 'cloneListener', sub_jobs: [] }, 'cn-north-4', undefined),
    ).toBeUndefined();
  });
});

describe('renderSummary', () => {
  it('matches the reviewed summary of a failed and a completed upgrade', async () => {
    const out = oneFailedOfTwo();
    const md = renderSummary({
      view: out,
      failOn: FAIL_ON,
      now: NOW,
      headline: headline(out, 3_600_000),
      region: 'cn-north-4',
    });
    await expect(md).toMatchFileSnapshot('./__snapshots__/summary-failure.md');
    // What the snapshot must show, whatever its layout: the failing job first, its error escaped.
    expect(md.indexOf('job-bad')).toBeLessThan(md.indexOf('job-ok'));
    expect(md).toContain('backend &#60;b&#62;unhealthy&#60;/b&#62; &#124; retry');
    expect(md).not.toContain('<b>');
  });

  it('matches the reviewed summary of a timeout with a job never listed', async () => {
    const running: MainJob = {
      job_id: 'r',
      job_type: 'UPGRADE',
      status: 'RUNNING',
      resource_id: 'lb-9',
      begin_time: '2024-03-23T08:50:00Z',
      end_time: '',
      sub_jobs: [
        {
          job_id: 'r1',
          job_type: 'UPGRADE_INIT',
          status: 'RUNNING',
          begin_time: '2024-03-23T08:50:00Z',
          end_time: '',
        },
        { job_id: 'r2', job_type: 'UPGRADE_TRAFFIC_SWITCH', status: 'INIT', begin_time: '', end_time: '' },
      ],
    };
    const out = outcome({ result: 'timeout', tracked: [{ jobId: 'r', job: running }, { jobId: 'ghost' }] });
    const md = renderSummary({ view: out, failOn: FAIL_ON, now: NOW, headline: headline(out, 600_000) });
    await expect(md).toMatchFileSnapshot('./__snapshots__/summary-timeout.md');
    expect(md.split('\n')[0]).toBe(
      '## ⏱️ TIMED OUT (last RUNNING) · UPGRADE · loadbalancer lb-9 · 10m so far · 0 of 2 jobs done',
    );
  });

  it('stays under the byte limit with a note, closing an open code block', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      jobId: `job-${i}`,
      job: {
        ...completed,
        job_id: `job-${i}`,
        sub_jobs: Array.from({ length: 20 }, () => completed.sub_jobs?.[0] ?? {}),
      },
      finishedAtPoll: 1,
    }));
    const out = outcome({ tracked: many });
    for (const limit of [100_000, 54_321, 3_000]) {
      const md = renderSummary({ view: out, failOn: FAIL_ON, now: NOW, headline: 'x', limitBytes: limit });
      expect(Buffer.byteLength(md)).toBeLessThanOrEqual(limit);
      expect(md).toMatch(
        /Summary cut to stay under GitHub's size limit: \d+ of 400 jobs and \d+ of 8000 sub-jobs shown/,
      );
      expect((md.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
    const full = renderSummary({
      view: out,
      failOn: FAIL_ON,
      now: NOW,
      headline: 'x',
      limitBytes: 10_000_000,
    });
    expect(Buffer.byteLength(full)).toBeGreaterThan(100_000);
    expect(full).not.toContain('Summary cut');
  });
});
