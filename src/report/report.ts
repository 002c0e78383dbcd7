/**
 * The step's reports, from what the wait knows: the check run's progress while waiting (`reportProgress`), the
 * outputs, summary, check-run completion and final log line at the end (`reportOutcome`), and the last resort after
 * an unexpected exception (`reportCrash`).
 */

import { formatDuration } from '../domain/time.ts';
import type { Config, Progress, Result, WaitOutcome } from '../domain/types.ts';
import { errorMessage } from '../errors.ts';
import { CHECK_SUMMARY_LIMIT, type CheckRun } from './check-run.ts';
import type { LogWriter } from './log.ts';
import { escapeText, renderSummary, verdictLine } from './summary.ts';
import { boundedOutputs, headline } from './verdict.ts';

/** What reporting writes to, besides the log. */
export interface ReportIO extends LogWriter {
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
}

/** Completing the check run may take this long; less when cancelled, so the step still ends within 5 s. */
const COMPLETE_CHECK_MS = 10_000;
const CANCELLED_CHECK_MS = 2_500;

/** Where the jobs live, for the summary's console links. */
function place(config: Config | undefined): { region?: string; endpoint?: string } {
  return config ? { region: config.region, endpoint: config.endpoint } : {};
}

/** The check run's text while waiting: the summary of the jobs as they are now. */
export function reportProgress(
  checkRun: CheckRun,
  view: Progress,
  config: Config,
  now: number,
  redact: (text: string) => string,
): void {
  const text = renderSummary({
    ...place(config),
    view,
    failOn: config.failOn,
    now,
    headline: `Still waiting after ${formatDuration(view.elapsedMs)}`,
    limitBytes: CHECK_SUMMARY_LIMIT,
  });
  checkRun.update(redact(verdictLine(view, now)), redact(text));
}

/** Outputs, summary, check-run completion and the final line (an error unless the wait succeeded). */
export async function reportOutcome(
  io: ReportIO,
  config: Config | undefined,
  outcome: WaitOutcome,
  now: number,
  redact: (text: string) => string,
  checkRun: CheckRun | undefined,
): Promise<Result> {
  const line = redact(headline(outcome, config?.timeoutMs ?? 0));
  const { values, warnings } = boundedOutputs(outcome);
  for (const [name, value] of Object.entries(values)) io.setOutput(name, redact(value));
  for (const warning of warnings) io.warning(warning);
  const render = (limitBytes?: number) =>
    redact(
      renderSummary({
        ...place(config),
        view: outcome,
        failOn: config?.failOn ?? [],
        now,
        headline: line,
        limitBytes,
      }),
    );
  const markdown = render();
  if (config?.summary !== false) {
    try {
      await io.writeSummary(markdown);
    } catch (error) {
      io.warning(`Could not write the job summary: ${errorMessage(error)}`);
    }
  }
  // The check run shows the job summary's text; cut properly when it is over the check run's limit.
  const checkText =
    checkRun && Buffer.byteLength(markdown) > CHECK_SUMMARY_LIMIT
      ? render(CHECK_SUMMARY_LIMIT - 1_000)
      : markdown;
  await checkRun?.complete(
    outcome.result,
    redact(verdictLine(outcome, now)),
    checkText,
    outcome.result === 'cancelled' ? CANCELLED_CHECK_MS : COMPLETE_CHECK_MS,
  );
  if (outcome.result === 'success') io.info(line);
  else io.setFailed(line);
  return outcome.result;
}

/** Ends the step after an unexpected exception: outputs, summary, check run, one error line; never throws. */
export async function reportCrash(
  io: Pick<ReportIO, 'setOutput' | 'writeSummary' | 'setFailed'>,
  error: unknown,
  elapsedMs: number,
  checkRun?: CheckRun,
): Promise<'error'> {
  const message = `Unexpected error: ${errorMessage(error)}`;
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch {
      // Nothing more can be reported than what the other steps report.
    }
  };
  await attempt(() => io.setOutput('result', 'error'));
  await attempt(() => io.setOutput('elapsed_seconds', String(Math.round(elapsedMs / 1000))));
  await attempt(() => io.writeSummary(`## ⚠️ ERROR\n\n${escapeText(message)}\n`));
  await attempt(() => checkRun?.complete('error', 'ERROR', escapeText(message), CANCELLED_CHECK_MS));
  await attempt(() => io.setFailed(message));
  return 'error';
}
