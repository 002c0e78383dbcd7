/**
 * A check run in the pull request's checks: created `in_progress` at the start, updated when a job or sub-job
 * changes status, completed with the verdict and the summary's text. `@actions/github` is loaded only here, and only
 * when `check_name` is set. Without permission (403) it warns once, says how to fix it, and the wait carries on.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { Config, Result } from '../domain/types.ts';
import { errorMessage } from '../errors.ts';

/** GitHub's limit on a check run's `output.summary`. */
export const CHECK_SUMMARY_LIMIT = 65_535;
const TITLE_LIMIT = 255;

export type Conclusion = 'success' | 'failure' | 'timed_out' | 'cancelled';

export function conclusionFor(result: Result): Conclusion {
  switch (result) {
    case 'success':
      return 'success';
    case 'timeout':
      return 'timed_out';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failure';
  }
}

/** The commit under test: a pull request's head for pull-request events (not the merge commit), else GITHUB_SHA. */
export function headSha(
  env: Readonly<Record<string, string | undefined>>,
  payload: unknown,
): string | undefined {
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (event === 'pull_request' || event === 'pull_request_target') {
    const sha = (payload as { pull_request?: { head?: { sha?: unknown } } } | undefined)?.pull_request?.head
      ?.sha;
    if (typeof sha === 'string' && sha) return sha;
  }
  return env.GITHUB_SHA || undefined;
}

/** Cuts a text to GitHub's limit, which counts characters and, in practice, UTF-8 bytes too. */
export function cut(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  const note = '\n\n… cut to fit the check run; the job summary has the rest.';
  let kept = text.slice(0, limit - Buffer.byteLength(note));
  while (Buffer.byteLength(kept) + Buffer.byteLength(note) > limit)
    kept = kept.slice(0, -Math.max(1, (kept.length / 50) | 0));
  return kept + note;
}

interface ChecksApi {
  create(params: Record<string, unknown>): Promise<{ data: { id: number } }>;
  update(params: Record<string, unknown>): Promise<unknown>;
}

export interface CheckRunOptions {
  name: string;
  token: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The event payload (GITHUB_EVENT_PATH's JSON), for a pull request's head SHA. */
  payload: unknown;
  warning(message: string): void;
  debug(message: string): void;
  /** The action's dispatcher: GitHub's API is called through it, like Huawei's (HTTP/1.1, the same proxy rules). */
  dispatcher: Dispatcher;
  /** Loads the GitHub client; defaults to `@actions/github` (imported lazily). */
  loadChecks?(token: string, dispatcher: Dispatcher, baseUrl: string): Promise<ChecksApi>;
}

async function loadOctokitChecks(token: string, dispatcher: Dispatcher, baseUrl: string): Promise<ChecksApi> {
  const [{ getOctokit }, { fetch }] = await Promise.all([import('@actions/github'), import('undici')]);
  const octokit = getOctokit(token, {
    // The API address from the action's environment (GITHUB_API_URL, set on GitHub Enterprise), not the process's.
    baseUrl,
    // Without this, @actions/github would use undici's global dispatcher, which offers HTTP/2, or a proxy agent of its
    // own that never proxies loopback addresses.
    request: { fetch: (url: string, init: RequestInit) => fetch(url, { ...init, dispatcher } as never) },
  });
  return octokit.rest.checks as unknown as ChecksApi;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Publishes one check run. Every call is safe: failures become one warning, never a failed step. */
export class CheckRun {
  readonly #opts: CheckRunOptions;
  #api: ChecksApi | undefined;
  #id: number | undefined;
  #owner = '';
  #repo = '';
  #disabled = false;
  #warned = false;
  /** Updates run one at a time; a newer one replaces one still waiting. */
  #chain: Promise<void> = Promise.resolve();
  #next: { title: string; summary: string } | undefined;

  constructor(opts: CheckRunOptions) {
    this.#opts = opts;
  }

  #fail(error: unknown, doing: string): void {
    const status = statusOf(error);
    const message = errorMessage(error);
    if (status === 403 || status === 404 || status === 401) {
      this.#disabled = true;
      if (!this.#warned) {
        this.#warned = true;
        this.#opts.warning(
          `Could not ${doing} check run '${this.#opts.name}' (HTTP ${status}: ${message}). Give the job ` +
            '`permissions: checks: write`; pull requests from forks and Dependabot get a read-only token, so there ' +
            'the job summary is the report. Waiting goes on.',
        );
      }
      return;
    }
    if (!this.#warned) {
      this.#warned = true;
      this.#opts.warning(`Could not ${doing} check run '${this.#opts.name}': ${message}. Waiting goes on.`);
    }
  }

  /** Creates the run `in_progress` on the commit under test. */
  async start(title: string, summary: string): Promise<void> {
    const { env, name } = this.#opts;
    const sha = headSha(env, this.#opts.payload);
    const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
    if (!sha || !owner || !repo) {
      this.#disabled = true;
      this.#opts.warning(
        `check_name is set, but GITHUB_REPOSITORY or the commit SHA is unknown: no check run`,
      );
      return;
    }
    this.#owner = owner;
    this.#repo = repo;
    try {
      this.#api = await (this.#opts.loadChecks ?? loadOctokitChecks)(
        this.#opts.token,
        this.#opts.dispatcher,
        this.#opts.env.GITHUB_API_URL || 'https://api.github.com',
      );
      const res = await this.#api.create({
        owner,
        repo,
        name,
        head_sha: sha,
        status: 'in_progress',
        started_at: new Date().toISOString(),
        output: { title: cut(title, TITLE_LIMIT), summary: cut(summary, CHECK_SUMMARY_LIMIT) },
      });
      this.#id = res.data.id;
      this.#opts.debug(`Check run '${name}' ${this.#id} created on ${sha}`);
    } catch (error) {
      this.#fail(error, 'create');
    }
  }

  /** Queues a new title and summary (on status changes); returns at once. */
  update(title: string, summary: string): void {
    if (this.#disabled || this.#id === undefined) return;
    const pending = this.#next;
    this.#next = { title, summary };
    if (pending) return;
    this.#chain = this.#chain.then(async () => {
      const next = this.#next;
      this.#next = undefined;
      if (!next || this.#disabled) return;
      try {
        await this.#api?.update({
          owner: this.#owner,
          repo: this.#repo,
          check_run_id: this.#id,
          status: 'in_progress',
          output: { title: cut(next.title, TITLE_LIMIT), summary: cut(next.summary, CHECK_SUMMARY_LIMIT) },
        });
      } catch (error) {
        this.#fail(error, 'update');
      }
    });
  }

  /** Completes the run with the verdict; gives up after `withinMs` so a cancelled step still ends in time. */
  async complete(result: Result, title: string, summary: string, withinMs: number): Promise<void> {
    if (this.#disabled || this.#id === undefined) return;
    this.#next = undefined;
    const done = this.#chain.then(async () => {
      try {
        await this.#api?.update({
          owner: this.#owner,
          repo: this.#repo,
          check_run_id: this.#id,
          status: 'completed',
          conclusion: conclusionFor(result),
          completed_at: new Date().toISOString(),
          output: { title: cut(title, TITLE_LIMIT), summary: cut(summary, CHECK_SUMMARY_LIMIT) },
        });
      } catch (error) {
        this.#fail(error, 'complete');
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#opts.warning(
          `Check run '${this.#opts.name}' not completed within ${withinMs} ms; giving up on it`,
        );
        resolve();
      }, withinMs);
    });
    await Promise.race([done, late]);
    clearTimeout(timer);
  }
}

/** Reads the event payload the runner left in GITHUB_EVENT_PATH (a pull request's head SHA is there). */
function eventPayload(env: Readonly<Record<string, string | undefined>>): unknown {
  try {
    return env.GITHUB_EVENT_PATH ? JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the check run `check_name` asks for, in progress; undefined (with a warning) without a token. */
export async function openCheckRun(
  config: Config & { checkName: string },
  host: Pick<CheckRunOptions, 'env' | 'warning' | 'debug' | 'dispatcher'>,
  waiting: string,
): Promise<CheckRun | undefined> {
  if (!config.githubToken) {
    host.warning(
      'check_name is set but github_token is empty: no check run (the job summary has the report)',
    );
    return undefined;
  }
  const checkRun = new CheckRun({
    ...host,
    name: config.checkName,
    token: config.githubToken,
    payload: eventPayload(host.env),
  });
  await checkRun.start(waiting, `${waiting}.`);
  return checkRun;
}
