import { formatDuration } from './duration.ts';
import { ApiError } from './http.ts';
import type { MainJob, SubJob } from './types.ts';
import { apiTime, type StatusChange, type TrackedJob, type WaitOutcome } from './waiter.ts';

/** The runner drops a step summary over 1 MiB whole; stay well under it. */
export const SUMMARY_LIMIT_BYTES = 1_000_000;

const FAILED = new Set(['FAIL', 'ROLLBACK_FAIL']);

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

/** Escapes API text for Markdown/HTML: no tags, no table breaks, no links or code spans. */
export function escapeText(value: string | undefined): string {
  return (value ?? '').replace(/[&<>"'|`[\]\\]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\r?\n|\r/g, ' ');
}

function timeOf(text: string | undefined): number | undefined {
  const t = apiTime(text);
  return Number.isFinite(t) ? t : undefined;
}

/** Duration between begin and end; `now` stands in for a missing end (still running). */
export function jobDuration(job: { begin_time?: string; end_time?: string }, now: number): string {
  const begin = timeOf(job.begin_time);
  if (begin === undefined) return '';
  const end = timeOf(job.end_time) ?? now;
  return formatDuration(Math.max(0, end - begin)) + (timeOf(job.end_time) === undefined ? ' so far' : '');
}

function statusCell(status: string | undefined): string {
  const s = status || 'UNKNOWN';
  return `${MARK[s] ?? '❔'} ${escapeText(s)}`;
}

/** The error code and message of a job, else of its first failed sub-job. */
export function jobError(job: MainJob): { code: string; msg: string } {
  if (job.error_code || job.error_msg) return { code: job.error_code ?? '', msg: job.error_msg ?? '' };
  const sub = (job.sub_jobs ?? []).find((s) => FAILED.has(s.status ?? '') && (s.error_code || s.error_msg));
  return { code: sub?.error_code ?? '', msg: sub?.error_msg ?? '' };
}

function entitiesCell(sub: SubJob): string {
  return (sub.entities ?? [])
    .map((e) => `${escapeText(e.resource_type || 'resource')} ${escapeText(e.resource_id)}`)
    .join('<br>');
}

function errorCell(code: string | undefined, msg: string | undefined): string {
  return [code, msg]
    .filter(Boolean)
    .map((part) => escapeText(part))
    .join(': ');
}

/** Failed first, then by begin time. */
function subJobOrder(a: SubJob, b: SubJob): number {
  const fa = FAILED.has(a.status ?? '') ? 0 : 1;
  const fb = FAILED.has(b.status ?? '') ? 0 : 1;
  return fa - fb || (timeOf(a.begin_time) ?? 0) - (timeOf(b.begin_time) ?? 0);
}

function jobSection(t: TrackedJob, failOn: readonly string[], now: number): string[] {
  const job = t.job;
  if (!job) {
    return [
      `### ❔ Job \`${escapeText(t.jobId ?? 'not found')}\``,
      '',
      'Not listed by the API during the wait.',
      '',
    ];
  }
  const highlight = failOn.includes(job.status ?? '');
  const err = jobError(job);
  const lines = [
    `### ${statusCell(job.status)}${highlight ? ' (fails the step)' : ''}: ${escapeText(job.job_type) || 'job'} ${escapeText(job.job_id)}`,
    '',
    `Resource ${escapeText(job.resource_id) || '–'} · began ${escapeText(job.begin_time) || '–'} · ended ${escapeText(job.end_time) || '–'} · ${jobDuration(job, now) || 'duration unknown'}`,
    '',
  ];
  if (err.code || err.msg) lines.push(`**Error:** ${errorCell(err.code, err.msg)}`, '');
  const subs = [...(job.sub_jobs ?? [])].sort(subJobOrder);
  if (subs.length > 0) {
    lines.push(
      '| Status | Sub-job | Entities | Begin | End | Duration | Error |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const s of subs) {
      const row = [
        statusCell(s.status),
        escapeText(s.job_type),
        entitiesCell(s),
        escapeText(s.begin_time),
        escapeText(s.end_time),
        jobDuration(s, now),
        errorCell(s.error_code, s.error_msg),
      ];
      lines.push(
        `| ${FAILED.has(s.status ?? '') ? row.map((c) => (c ? `**${c}**` : c)).join(' | ') : row.join(' | ')} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

export interface SummaryContext {
  outcome: WaitOutcome;
  failOn: readonly string[];
  /** Wall-clock now, for durations of jobs still running. */
  now: number;
  /** The one-line verdict, also used as the error message. */
  headline: string;
  limitBytes?: number;
}

/** The job summary: verdict, then one section per job, failures first; cut with a note before the limit. */
export function renderSummary(ctx: SummaryContext): string {
  const { outcome, failOn, now } = ctx;
  const limit = ctx.limitBytes ?? SUMMARY_LIMIT_BYTES;
  const head = [
    `## ${RESULT_MARK[outcome.result] ?? ''} ELB job wait: ${outcome.result}`,
    '',
    escapeText(ctx.headline),
    '',
  ];
  const jobs = [...outcome.tracked].sort((a, b) => {
    const fa = failOn.includes(a.job?.status ?? '') ? 0 : 1;
    const fb = failOn.includes(b.job?.status ?? '') ? 0 : 1;
    return fa - fb;
  });
  const note = (shown: number) =>
    `> [!NOTE]\n> Summary cut to stay under GitHub's 1 MiB limit: ${shown} of ${jobs.length} jobs shown, the rest is cut. The \`jobs\` output has everything.\n`;
  let out = `${head.join('\n')}\n`;
  let bytes = Buffer.byteLength(out);
  const reserve = Buffer.byteLength(note(jobs.length)) + 64;
  for (let i = 0; i < jobs.length; i++) {
    const section = jobSection(jobs[i] as TrackedJob, failOn, now);
    let text = `${section.join('\n')}\n`;
    const size = Buffer.byteLength(text);
    if (bytes + size + reserve > limit) {
      // Keep as many whole lines of this section as fit, then say what was cut.
      let partial = '';
      for (const line of section) {
        if (bytes + Buffer.byteLength(partial) + Buffer.byteLength(line) + 1 + reserve > limit) break;
        partial += `${line}\n`;
      }
      text = partial;
      return `${out + text}\n${note(i + (partial ? 1 : 0))}`;
    }
    out += text;
    bytes += size;
  }
  return out;
}

/** The verdict in one line: used for the error, the log and the summary. */
export function headline(outcome: WaitOutcome, timeoutMs: number): string {
  const waited = formatDuration(outcome.elapsedMs);
  const describe = (t: TrackedJob) =>
    `${t.job?.job_type ? `${t.job.job_type} ` : ''}job ${t.jobId ?? '(none found yet)'} ${t.job?.status ? `last ${t.job.status}` : 'not listed'}`;
  switch (outcome.result) {
    case 'success': {
      const done = outcome.tracked.map(
        (t) => `${t.job?.job_type ? `${t.job.job_type} ` : ''}job ${t.jobId} ${t.job?.status}`,
      );
      return `${done.join(', ')} after ${waited}`;
    }
    case 'failure': {
      const job = outcome.failing as MainJob;
      const err = jobError(job);
      const detail = [err.code, err.msg].filter(Boolean).join(': ');
      return `${job.job_type ?? 'Job'} job ${job.job_id} ended in ${job.status}${detail ? ` (${detail})` : ''} after ${waited}`;
    }
    case 'timeout': {
      const pending = outcome.tracked.filter((t) => t.finishedAtPoll === undefined).map(describe);
      const last = outcome.error ? `; the last poll failed: ${outcome.error.message}` : '';
      return timeoutMs === 0
        ? `Checked once (timeout 0): still in progress: ${pending.join(', ')}${last}`
        : `Timed out after ${waited} (timeout ${formatDuration(timeoutMs)}) waiting for ${pending.join(', ')}${last}`;
    }
    case 'cancelled':
      return `Cancelled after ${waited}; last known: ${outcome.tracked.map(describe).join(', ')}`;
    default:
      return errorText(outcome.error);
  }
}

const SKEW_LIMIT_MS = 15 * 60_000;

/** An error with the hint that fits it: what is wrong and what to do next. */
export function errorText(error: Error | undefined): string {
  if (!error) return 'Unknown error';
  if (!(error instanceof ApiError)) return error.message;
  const denied = error.status === 401 || error.status === 403;
  const lines = [
    denied && !error.hint
      ? `${error.message}. Not retried: Huawei Cloud locks an AK after repeated failed authentications.`
      : `${error.message}.`,
  ];
  const skew = error.clockSkewMs;
  if (error.hint) {
    lines.push(error.hint);
  } else if (!denied) {
    return error.message;
  } else if (error.status === 403) {
    lines.push(
      'The credentials were accepted but lack permission: grant the IAM user or agency read access to ELB in this ' +
        'project (for example the system policy "ELB ReadOnlyAccess"), and check that project_id is the project of region.',
    );
  } else if (skew !== undefined && Math.abs(skew) >= SKEW_LIMIT_MS) {
    lines.push(
      `The runner's clock is ${formatDuration(Math.abs(skew))} ${skew > 0 ? 'ahead of' : 'behind'} the gateway's; ` +
        "signatures more than 15 minutes off are refused. Fix the runner's time (NTP) and run again.",
    );
  } else {
    lines.push(
      'Check that access_key and secret_key belong together (a secret pasted with a stray character is a common cause), ' +
        'that a security_token is given with temporary credentials and has not expired, or that auth_token is still valid.',
    );
  }
  const canonical = /canonicalRequest:\s*(.*)$/s.exec(error.errorMsg)?.[1];
  if (error.status === 401 && canonical) {
    lines.push(`The gateway's canonical request was:\n  ${canonical.trim().split('|').join('\n  ')}`);
  }
  return lines.join('\n');
}

/** The outputs of the contract, all strings. */
export function outputs(outcome: WaitOutcome): Record<string, string> {
  const finalJob =
    outcome.failing ??
    (outcome.result === 'success'
      ? outcome.lastFinished
      : (outcome.tracked.find((t) => t.finishedAtPoll === undefined)?.job ?? outcome.lastFinished));
  const err = outcome.failing
    ? jobError(outcome.failing)
    : outcome.error instanceof ApiError && outcome.result === 'error'
      ? { code: outcome.error.errorCode, msg: outcome.error.errorMsg }
      : { code: '', msg: '' };
  return {
    status: finalJob?.status ?? '',
    result: outcome.result,
    job_id: outcome.tracked[0]?.jobId ?? '',
    jobs: JSON.stringify(outcome.tracked.filter((t) => t.job).map((t) => t.job)),
    error_code: err.code,
    error_msg: err.msg,
    elapsed_seconds: String(Math.round(outcome.elapsedMs / 1000)),
  };
}

/** One log line for a status change: `[3m 5s] UPGRADE job X: RUNNING -> COMPLETE`. */
export function changeLine(change: StatusChange): string {
  const at = `[${formatDuration(change.elapsedMs)}]`;
  const arrow = change.from ? `${change.from} -> ${change.to || '(none)'}` : change.to || '(no status)';
  if (change.subJob) {
    const s = change.subJob;
    return `${at}   ${s.job_type ?? 'sub-job'} ${s.job_id ?? ''}: ${arrow}${s.error_code ? ` (${s.error_code}${s.error_msg ? `: ${s.error_msg}` : ''})` : ''}`;
  }
  const err = change.job.error_code
    ? ` (${change.job.error_code}${change.job.error_msg ? `: ${change.job.error_msg}` : ''})`
    : '';
  return `${at} ${change.job.job_type ?? 'job'} ${change.jobId}: ${arrow}${err}`;
}
