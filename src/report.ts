/** The verdict of a wait in words: the headline, the error with its hint, the outputs. */
import { formatDuration } from './duration.ts';
import { ApiError } from './http.ts';
import { jobName } from './progress-log.ts';
import { decidingJob, jobError } from './summary.ts';
import type { MainJob } from './types.ts';
import type { TrackedJob, WaitOutcome } from './waiter.ts';

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
      const job = outcome.failing as MainJob;
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

/** The outputs of the contract, all strings. */
export function outputs(outcome: WaitOutcome): Record<string, string> {
  // The job the summary's verdict line is about.
  const finalJob = outcome.failing ?? decidingJob(outcome)?.job ?? outcome.lastFinished;
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
