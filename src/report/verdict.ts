/** The verdict of a wait in words: the headline, the error with its hint, the outputs. */
import { decidingJob, jobError, jobName } from '../domain/jobs.ts';
import { formatDuration } from '../domain/time.ts';
import type { MainJob, TrackedJob, WaitOutcome } from '../domain/types.ts';
import { ApiError } from '../huawei/http.ts';
import { clip } from './log.ts';

/** The verdict in one line: used for the error, the log and the summary. */
export function headline(outcome: WaitOutcome, timeoutMs: number): string {
  const waited = formatDuration(outcome.elapsedMs);
  const name = (t: TrackedJob) =>
    jobName({ job_type: t.job?.job_type, job_id: t.jobId ?? '(none found yet)' });
  const describe = (t: TrackedJob) => `${name(t)} ${t.job?.status ? `last ${t.job.status}` : 'not listed'}`;
  switch (outcome.result) {
    case 'success': {
      const done = outcome.tracked.map((t) => `${name(t)} ${t.job?.status}`);
      return `${done.join(', ')}; waited ${waited}`;
    }
    case 'failure': {
      const job = outcome.failing;
      const err = jobError(job);
      const detail = [err.code, err.msg].filter(Boolean).join(': ');
      return `${jobName(job)} ended in ${job.status}${detail ? ` (${detail})` : ''}; waited ${waited}`;
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

/** GitHub: "Outputs are Unicode strings, and can be a maximum of 1 MB". Stay under it, in UTF-8 bytes. */
export const MAX_OUTPUT_BYTES = 1_000_000;
/** `error_code` and `error_msg` are for a human or a condition: this much says what went wrong. */
export const MAX_ERROR_OUTPUT_CHARS = 65_536;
/** A string field of a job kept in `jobs` when the output must be shortened. */
const SHORT_FIELD_CHARS = 1_000;

const bytes = (text: string) => Buffer.byteLength(text);

/** A field or output shortened, saying by how much. */
const cutField = (value: string, max: number) => clip(value, max, (cut) => `cut: ${cut} more characters`);

/**
 * The `jobs` output under `limit` bytes: sub-jobs are left out first (the last ones first), then long fields are
 * cut, then whole jobs; each job that lost sub-jobs says how many in `sub_jobs_left_out`. Linear in the jobs' size.
 * Returns the JSON and, when anything was left out, what.
 */
export function jobsOutput(jobs: MainJob[], limit = MAX_OUTPUT_BYTES): { json: string; leftOut?: string } {
  const full = JSON.stringify(jobs);
  if (bytes(full) <= limit) return { json: full };
  // Room for the brackets, commas and `"sub_jobs_left_out":N` of every job.
  const budget = limit - 2 - jobs.length * 40;
  let cutFields = false;
  const bare = jobs.map(({ sub_jobs: _, ...rest }) => {
    let json = JSON.stringify(rest);
    if (bytes(json) > budget / Math.max(1, jobs.length)) {
      const short: Record<string, string> = {};
      for (const [k, v] of Object.entries(rest)) short[k] = cutField(String(v), SHORT_FIELD_CHARS);
      json = JSON.stringify(short);
      cutFields = true;
    }
    return json;
  });
  let used = 0;
  let jobsKept = 0;
  for (const json of bare) {
    if (used + bytes(json) + 1 > budget) break;
    used += bytes(json) + 1;
    jobsKept++;
  }
  let subTotal = 0;
  let subKept = 0;
  const parts: string[] = [];
  for (let i = 0; i < jobsKept; i++) {
    const subs = (jobs[i] as MainJob).sub_jobs ?? [];
    subTotal += subs.length;
    const kept: string[] = [];
    for (const sub of subs) {
      const json = JSON.stringify(sub);
      if (used + bytes(json) + 1 > budget) break;
      used += bytes(json) + 1;
      kept.push(json);
    }
    subKept += kept.length;
    const head = (bare[i] as string).slice(0, -1);
    const sep = head.length > 1 ? ',' : '';
    const leftOut = subs.length - kept.length;
    const extra = subs.length === 0 ? '' : `${sep}"sub_jobs":[${kept.join(',')}]`;
    parts.push(`${head}${extra}${leftOut > 0 ? `,"sub_jobs_left_out":${leftOut}` : ''}}`);
  }
  for (let i = jobsKept; i < jobs.length; i++) subTotal += (jobs[i] as MainJob).sub_jobs?.length ?? 0;
  const said = [
    subKept < subTotal ? `${subTotal - subKept} of ${subTotal} sub-jobs` : '',
    jobsKept < jobs.length ? `${jobs.length - jobsKept} of ${jobs.length} jobs` : '',
    cutFields ? `the text of fields over ${SHORT_FIELD_CHARS} characters` : '',
  ].filter(Boolean);
  return { json: `[${parts.join(',')}]`, leftOut: said.join(', ') };
}

/**
 * The outputs of the contract, all strings, each under GitHub's limit; `warnings` say what was shortened. The `jobs`
 * JSON is built once, shortened only when it must be.
 */
export function boundedOutputs(outcome: WaitOutcome): { values: Record<string, string>; warnings: string[] } {
  // The job the summary's verdict line is about.
  const finalJob = outcome.failing ?? decidingJob(outcome)?.job ?? outcome.lastFinished;
  const err = outcome.failing
    ? jobError(outcome.failing)
    : outcome.error instanceof ApiError && outcome.result === 'error'
      ? { code: outcome.error.errorCode, msg: outcome.error.errorMsg }
      : { code: '', msg: '' };
  const jobs = jobsOutput(outcome.tracked.flatMap((t) => (t.job ? [t.job] : [])));
  const values: Record<string, string> = {
    status: finalJob?.status ?? '',
    result: outcome.result,
    job_id: outcome.tracked[0]?.jobId ?? '',
    jobs: jobs.json,
    error_code: err.code,
    error_msg: err.msg,
    elapsed_seconds: String(Math.round(outcome.elapsedMs / 1000)),
  };
  const warnings: string[] = [];
  if (jobs.leftOut) {
    warnings.push(
      `The jobs output was shortened to stay under GitHub's 1 MB limit for one output: left out ${jobs.leftOut} ` +
        '(the summary lists every sub-job it has room for)',
    );
  }
  for (const name of ['error_code', 'error_msg'] as const) {
    const value = values[name] ?? '';
    if (value.length > MAX_ERROR_OUTPUT_CHARS) {
      values[name] = cutField(value, MAX_ERROR_OUTPUT_CHARS);
      warnings.push(
        `The ${name} output was cut to ${MAX_ERROR_OUTPUT_CHARS} of its ${value.length} characters`,
      );
    }
  }
  return { values, warnings };
}

/** The outputs of the contract, all strings (each under GitHub's limit). */
export function outputs(outcome: WaitOutcome): Record<string, string> {
  return boundedOutputs(outcome).values;
}
