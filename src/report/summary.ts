/**
 * The job summary (and the check run's text): a verdict readable in a second, then per job its facts, its sub-jobs
 * (failed first, with their errors) and a timeline of them as text bars. API text is escaped; the whole stays under
 * GitHub's 1 MiB limit, cut with a note when it must be.
 */

import { apiTime, decidingJob, hasEnded, isFailed, jobError, REGION, resourceType } from '../domain/jobs.ts';
import { onPublicSite } from '../domain/regions.ts';
import { formatDuration } from '../domain/time.ts';
import type { MainJob, Progress, SubJob, TrackedJob, WaitOutcome } from '../domain/types.ts';
import { clip, stripUnsafe } from './log.ts';

/** The runner drops a step summary over 1 MiB whole; stay well under it. */
export const SUMMARY_LIMIT_BYTES = 1_000_000;
/** Width of the timeline bars, in characters. */
export const TIMELINE_WIDTH = 40;

const MARK: Record<string, string> = {
  SUCCESS: '✅',
  COMPLETE: '✅',
  FAIL: '❌',
  ROLLBACK_FAIL: '❌',
  CANCEL: '🚫',
  INIT: '⏳',
  RUNNING: '🔄',
  ROLLBACKING: '↩️',
};

const RESULT_MARK: Record<string, string> = {
  success: '✅',
  failure: '❌',
  timeout: '⏱️',
  cancelled: '🚫',
  error: '⚠️',
};

/** Longest API text shown in one place of the summary (a cell, a title); the `jobs` output has it whole. */
export const MAX_FIELD_CHARS = 1_000;
/** Longest error shown in a job's caution block. */
export const MAX_ERROR_CHARS = 4_000;
/** Sub-jobs drawn in a job's timeline; the table lists them all. */
export const MAX_TIMELINE_ROWS = 100;
/** U+2060 WORD JOINER: invisible, and it breaks what GitHub would turn into a mention, a reference or a link. */
const JOIN = '\u2060';

/**
 * Escapes API text for Markdown/HTML: no tags, no table breaks, no code spans or links; no autolinked URL
 * or address (`://`, `www.`, `@`), no @mention and no #reference; one line, at most `max` characters.
 */
export function escapeText(value: string | undefined, max = MAX_FIELD_CHARS): string {
  return stripUnsafe(clip(value ?? '', max))
    .replace(/[@#]/g, (c) => `${c}${JOIN}`)
    .replace(/:\/\//g, `:${JOIN}//`)
    .replace(/\b(www)\./gi, `$1${JOIN}.`)
    .replace(/\b(gh)-/gi, `$1${JOIN}-`)
    .replace(/[&<>"'|`[\]\\*]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\r?\n|\r/g, ' ');
}

/** Text safe inside a code block: printable, no backticks, one line, bounded. */
function plain(value: string | undefined, max = 60): string {
  return clip(value ?? '', max).replace(/[^\x20-\x7e]|`/g, '?');
}

function timeOf(text: string | undefined): number | undefined {
  const t = apiTime(text);
  return Number.isFinite(t) ? t : undefined;
}

/** Duration between begin and end; `now` stands in for a missing end (still running). */
export function jobDuration(job: { begin_time?: string; end_time?: string }, now: number): string {
  const begin = timeOf(job.begin_time);
  if (begin === undefined) return '';
  const end = timeOf(job.end_time);
  return end === undefined
    ? `${formatDuration(Math.max(0, now - begin))} so far`
    : formatDuration(Math.max(0, end - begin));
}

/**
 * The load balancer's page in Huawei Cloud's console, for the public cloud's endpoints only (other clouds have
 * consoles of their own that this action cannot know).
 */
export function consoleUrl(
  job: MainJob,
  region: string | undefined,
  endpoint: string | undefined,
): string | undefined {
  if (!region || !job.resource_id || resourceType(job) !== 'loadbalancer') return undefined;
  // Huawei Cloud Europe (eu-west-101) has a console of its own, at an address this action does not know.
  if (!onPublicSite(region)) return undefined;
  if (endpoint && !/(^|\.)myhuaweicloud\.com$/.test(new URL(endpoint).hostname)) return undefined;
  if (!REGION.test(region) || !/^[A-Za-z0-9-]+$/.test(job.resource_id)) return undefined;
  return `https://console.huaweicloud.com/vpc/?region=${region}#/elb/detail/basicInfo?ulbId=${job.resource_id}`;
}

function statusCell(status: string | undefined): string {
  const s = status || 'UNKNOWN';
  return `${MARK[s] ?? '❔'} ${escapeText(s)}`;
}

function entitiesCell(sub: SubJob): string {
  return (sub.entities ?? [])
    .map((e) => `${escapeText(e.resource_type || 'resource')} ${escapeText(e.resource_id)}`)
    .join('<br>');
}

function errorCell(code: string | undefined, msg: string | undefined, max = MAX_FIELD_CHARS): string {
  return [code, msg]
    .filter(Boolean)
    .map((part) => escapeText(part, max))
    .join(': ');
}

/** Failed first, then by begin time (not begun last); keys computed once per sub-job. */
function subJobOrder(subs: readonly SubJob[]): SubJob[] {
  return subs
    .map((s, i) => ({
      s,
      i,
      failed: isFailed(s.status) ? 0 : 1,
      at: timeOf(s.begin_time) ?? Infinity,
    }))
    .sort((a, b) => a.failed - b.failed || (a.at === b.at ? 0 : a.at < b.at ? -1 : 1) || a.i - b.i)
    .map((x) => x.s);
}

/**
 * The sub-jobs in the order they began, each as a bar placed on the job's span: when it started, how long it took.
 * A sub-job that has not begun has an empty bar.
 */
export function timeline(job: MainJob, now: number, width = TIMELINE_WIDTH): string[] {
  const all = job.sub_jobs ?? [];
  if (all.length === 0) return [];
  const begun = (j: SubJob) => timeOf(j.begin_time) ?? Number.POSITIVE_INFINITY;
  const subs = byKey(all, begun);
  let start = timeOf(job.begin_time) ?? Number.POSITIVE_INFINITY;
  for (const s of subs) start = Math.min(start, begun(s));
  if (!Number.isFinite(start)) return [];
  let last = start;
  for (const j of [job, ...subs]) {
    last = Math.max(last, timeOf(j.begin_time) === undefined ? start : (timeOf(j.end_time) ?? now));
  }
  const span = Math.max(1, last - start);
  const shown = subs.slice(0, MAX_TIMELINE_ROWS);
  let nameWidth = 7;
  for (const s of shown) nameWidth = Math.max(nameWidth, plain(s.job_type).length);
  const rows = shown.map((s) => {
    const b = timeOf(s.begin_time);
    let bar = ' '.repeat(width);
    if (b !== undefined) {
      const e = timeOf(s.end_time) ?? now;
      const from = Math.max(0, Math.min(width - 1, Math.floor(((b - start) / span) * width)));
      const len = Math.max(1, Math.min(width - from, Math.round(((e - b) / span) * width)));
      const fill = isFailed(s.status) ? '▓' : timeOf(s.end_time) === undefined ? '▒' : '█';
      bar = ' '.repeat(from) + fill.repeat(len) + ' '.repeat(width - from - len);
    }
    const took = b === undefined ? 'not started' : jobDuration(s, now);
    return `${plain(s.job_type).padEnd(nameWidth)} │${bar}│ ${plain(s.status, 20).padEnd(13)} ${took}`;
  });
  if (subs.length > shown.length)
    rows.push(`… ${subs.length - shown.length} more sub-jobs (the table lists them all)`);
  return [
    '```text',
    ...rows,
    `${' '.repeat(nameWidth)}  ${formatDuration(span)} from ${plain(new Date(start).toISOString().slice(11, 19))} UTC; █ done ▒ running ▓ failed`,
    '```',
  ];
}

/** `items` sorted by a key computed once per item (keys that parse dates are not recomputed n log n times). */
function byKey<T>(items: readonly T[], key: (item: T) => number): T[] {
  return items
    .map((item, i) => ({ item, k: key(item), i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
}

export interface SummaryContext {
  /** How the wait ended, or (a check run's updates) the wait so far. */
  view: WaitOutcome | Progress;
  failOn: readonly string[];
  /** Wall-clock now, for durations of jobs still running. */
  now: number;
  /** The one-line verdict, also used as the error message. */
  headline: string;
  region?: string;
  endpoint?: string;
  limitBytes?: number;
}

/** The status words of the verdict line: the deciding job's status, or how the wait ended. */
function statusWords(view: WaitOutcome | Progress, status: string | undefined): string {
  const last = status ? ` (last ${escapeText(status)})` : '';
  if (!hasEnded(view)) return escapeText(status ?? 'WAITING');
  switch (view.result) {
    case 'success':
    case 'failure':
      return escapeText(status ?? view.result.toUpperCase());
    case 'timeout':
      return `TIMED OUT${last}`;
    case 'cancelled':
      return `CANCELLED${last}`;
    default:
      return 'ERROR';
  }
}

/**
 * The first line: status mark, status, job type, resource, duration; the count when there are several jobs. While
 * waiting it shows the current status.
 */
export function verdictLine(view: WaitOutcome | Progress, now: number): string {
  const t = decidingJob(view);
  const job = t?.job;
  const mark = hasEnded(view) ? RESULT_MARK[view.result] : (MARK[job?.status ?? ''] ?? '⏳');
  const parts = [`${mark ?? ''} ${statusWords(view, job?.status)}`];
  if (job) {
    parts.push(escapeText(job.job_type) || 'job');
    if (job.resource_id) parts.push(`${escapeText(resourceType(job))} ${escapeText(job.resource_id)}`);
    parts.push(jobDuration(job, now) || formatDuration(view.elapsedMs));
  } else if (t?.jobId) {
    parts.push(`job ${escapeText(t.jobId)}`, formatDuration(view.elapsedMs));
  }
  const n = view.tracked.length;
  if (n > 1) {
    const failed = view.tracked.filter((x) => isFailed(x.job?.status)).length;
    const done = view.tracked.filter((x) => x.finishedAtPoll !== undefined).length;
    parts.push(failed ? `${failed} of ${n} jobs failed` : `${done} of ${n} jobs done`);
  }
  return parts.join(' · ');
}

/** A job's section; `rows` are the indexes of its lines that are sub-job rows (to count what a cut leaves). */
interface Section {
  lines: string[];
  firstRow: number;
  rows: number;
}

/** `budget`: rows past this many bytes would be cut anyway, so they are not built (50,000 sub-jobs stay cheap). */
function jobSection(t: TrackedJob, ctx: SummaryContext, budget = Number.POSITIVE_INFINITY): Section {
  const { failOn, now } = ctx;
  const job = t.job;
  if (!job) {
    const lines = [
      `### ❔ Job ${escapeText(t.jobId ?? '(none found)')}`,
      '',
      'Not listed by the API during the wait.',
      '',
    ];
    return { lines, firstRow: lines.length, rows: 0 };
  }
  const highlight = failOn.includes(job.status ?? '');
  const err = jobError(job);
  const link = consoleUrl(job, ctx.region, ctx.endpoint);
  const resource = job.resource_id
    ? `${escapeText(resourceType(job))} ${escapeText(job.resource_id)}${link ? ` ([console](${link}))` : ''}`
    : '–';
  const lines = [
    `### ${statusCell(job.status)}${highlight ? ' (fails the step)' : ''}: ${escapeText(job.job_type) || 'job'} ${escapeText(job.job_id)}`,
    '',
    `${resource} · began ${escapeText(job.begin_time) || '–'} · ended ${escapeText(job.end_time) || '–'} · ${jobDuration(job, now) || 'duration unknown'}`,
    '',
  ];
  if (err.code || err.msg) {
    lines.push(`> [!CAUTION]`, `> **${errorCell(err.code, err.msg, MAX_ERROR_CHARS)}**`, '');
  }
  const subs = subJobOrder(job.sub_jobs ?? []);
  let firstRow = lines.length;
  if (subs.length > 0) {
    lines.push(
      '| Status | Sub-job | Entities | Begin | End | Duration | Error |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    firstRow = lines.length;
    let size = 0;
    let built = 0;
    for (const s of subs) {
      if (size > budget) break;
      built++;
      const row = [
        statusCell(s.status),
        escapeText(s.job_type),
        entitiesCell(s),
        escapeText(s.begin_time),
        escapeText(s.end_time),
        jobDuration(s, now),
        errorCell(s.error_code, s.error_msg),
      ];
      const failed = isFailed(s.status);
      const line = `| ${(failed ? row.map((c) => (c ? `**${c}**` : c)) : row).join(' | ')} |`;
      size += line.length;
      lines.push(line);
    }
    lines.push('', ...timeline(job, now), '');
    return { lines, firstRow, rows: built };
  }
  return { lines, firstRow, rows: 0 };
}

/** Failed jobs first, the others in the order asked for. */
function sectionOrder(jobs: TrackedJob[], failOn: readonly string[]): TrackedJob[] {
  const fails = (t: TrackedJob) => (failOn.includes(t.job?.status ?? '') ? 0 : 1);
  return [...jobs].sort((a, b) => fails(a) - fails(b));
}

/**
 * The summary markdown: verdict, headline, one section per job; cut with a note before `limitBytes`. Built in linear
 * time: each line's size is counted once.
 */
export function renderSummary(ctx: SummaryContext): string {
  const { view } = ctx;
  const limit = ctx.limitBytes ?? SUMMARY_LIMIT_BYTES;
  const jobs = sectionOrder(view.tracked, ctx.failOn);
  let subTotal = 0;
  for (const t of jobs) subTotal += t.job?.sub_jobs?.length ?? 0;
  const note = (jobsShown: number, subsShown: number) =>
    `> [!NOTE]\n> Summary cut to stay under GitHub's size limit: ${jobsShown} of ${jobs.length} jobs and ` +
    `${subsShown} of ${subTotal} sub-jobs shown. The \`jobs\` output has more.\n`;
  const throttled = hasEnded(view) ? (view.throttled ?? 0) : 0;
  const slowed = throttled
    ? `${throttled} answer${throttled === 1 ? ' was' : 's were'} throttled by Huawei Cloud's API gateway (HTTP 429); the polls slowed down to share the account's limit.\n\n`
    : '';
  const parts = [
    `## ${verdictLine(view, ctx.now)}\n\n${escapeText(ctx.headline, MAX_ERROR_CHARS)}\n\n${slowed}`,
  ];
  let size = Buffer.byteLength(parts[0] as string);
  const reserve = Buffer.byteLength(note(jobs.length, subTotal)) + 16;
  let subsShown = 0;
  for (let i = 0; i < jobs.length; i++) {
    const section = jobSection(jobs[i] as TrackedJob, ctx, limit - size);
    const sizes = section.lines.map((line) => Buffer.byteLength(line) + 1);
    let total = 0;
    for (const n of sizes) total += n;
    if (size + total + reserve <= limit) {
      parts.push(`${section.lines.join('\n')}\n`);
      size += total;
      subsShown += section.rows;
      continue;
    }
    // Keep the whole lines of this section that fit, closing a code block left open, then say what was cut.
    const kept: string[] = [];
    let fenced = false;
    for (let l = 0; l < section.lines.length; l++) {
      const n = sizes[l] as number;
      if (size + n + reserve + 4 > limit) break;
      const line = section.lines[l] as string;
      kept.push(line);
      size += n;
      if (l >= section.firstRow && l < section.firstRow + section.rows) subsShown++;
      if (line.startsWith('```')) fenced = !fenced;
    }
    if (fenced) kept.push('```');
    const partial = kept.length ? `${kept.join('\n')}\n` : '';
    return `${parts.join('')}${partial}\n${note(i + (kept.length ? 1 : 0), subsShown)}`;
  }
  return parts.join('');
}
