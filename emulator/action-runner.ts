/**
 * A stand-in for the GitHub runner: runs the bundled action (`dist/index.js`) in a child process the way the
 * runner does — `INPUT_*` variables with action.yml's defaults, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files —
 * and reads back what it wrote. Used by the demo and the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js');
export const ACTION_YML = join(ROOT, 'action.yml');

/** Unquotes a plain YAML scalar: 'single' (with '' escapes), "double" (basic escapes), or bare. */
function yamlScalar(raw: string): string {
  const value = raw.trim();
  if (value.startsWith("'")) {
    const end = value.lastIndexOf("'");
    return value.slice(1, end > 0 ? end : undefined).replaceAll("''", "'");
  }
  if (value.startsWith('"')) {
    const end = value.lastIndexOf('"');
    const inner = value.slice(1, end > 0 ? end : undefined);
    return inner.replace(/\\(["\\nt])/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
  }
  const comment = value.search(/\s#/);
  return (comment === -1 ? value : value.slice(0, comment)).trim();
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * The `default:` of each input in action.yml's `inputs:` block (a small parser for that block
 * only: quoted or bare scalars and `|`/`>` block scalars).
 */
export function inputDefaults(yaml: string): Map<string, string> {
  const defaults = new Map<string, string>();
  const lines = yaml.split(/\r?\n/);
  const start = lines.findIndex((l) => /^inputs:\s*(#.*)?$/.test(l));
  if (start === -1) return defaults;
  let inputIndent = -1;
  let propIndent = -1;
  let current: string | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = indentOf(line);
    if (indent === 0) break;
    if (inputIndent === -1) inputIndent = indent;
    if (indent === inputIndent) {
      const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(#.*)?$/.exec(line);
      current = m?.[1];
      propIndent = -1;
      continue;
    }
    if (current === undefined || indent < inputIndent) continue;
    if (propIndent === -1) propIndent = indent;
    if (indent !== propIndent) continue;
    const m = /^\s*default\s*:(.*)$/.exec(line);
    if (m === null) continue;
    const rest = (m[1] ?? '').trim();
    const block = /^([|>])[-+]?\s*(#.*)?$/.exec(rest);
    if (block === null) {
      defaults.set(current, yamlScalar(rest));
      continue;
    }
    const body: string[] = [];
    let bodyIndent = -1;
    while (i + 1 < lines.length) {
      const next = lines[i + 1] ?? '';
      if (next.trim() !== '' && indentOf(next) <= propIndent) break;
      i++;
      if (next.trim() === '') {
        body.push('');
        continue;
      }
      if (bodyIndent === -1) bodyIndent = indentOf(next);
      body.push(next.slice(bodyIndent));
    }
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    defaults.set(current, block[1] === '|' ? body.join('\n') : body.join(' '));
  }
  return defaults;
}

/** `INPUT_<NAME>`: upper case, spaces to '_' (as the runner does). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replaceAll(' ', '_').toUpperCase()}`;
}

/** Reads a GITHUB_OUTPUT file (`name<<DELIM ... DELIM` heredocs and `name=value` lines). */
export function parseOutputFile(text: string): Array<[string, string]> {
  const outputs: Array<[string, string]> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const value: string[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== heredoc[2]) value.push(lines[++i] ?? '');
      i++;
      outputs.push([heredoc[1] ?? '', value.join('\n')]);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) outputs.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return outputs;
}

/** The parent's environment without anything that could change the action's credentials or outputs. */
export function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const drop = /^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|HUAWEICLOUD_SDK_|HUAWEI_CLOUD_|CLOUD_SDK_|HW_|ELB_DEMO_)/i;
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !drop.test(key)) env[key] = value;
  }
  // The emulator is on loopback: never send it through a proxy.
  for (const key of ['NO_PROXY', 'no_proxy']) {
    env[key] = [env[key], '127.0.0.1', 'localhost'].filter(Boolean).join(',');
  }
  return env;
}

export interface RunOptions {
  /** Inputs by action.yml name; unset ones get action.yml's default, as on the runner. */
  inputs: Record<string, string>;
  /** Extra environment (e.g. credentials from an earlier step, proxies), applied after the inputs. */
  env?: Record<string, string>;
  /** The script to run; default dist/index.js. */
  entry?: string;
  /** The action.yml whose defaults fill unset inputs. */
  actionYml?: string;
  /** Stream the action's output to this process's stdout/stderr while it runs. */
  live?: boolean;
  /** Called once the child is spawned (e.g. to send it a signal later). */
  onSpawn?: (child: ChildProcess) => void;
  /** Called with each chunk of stdout. */
  onStdout?: (chunk: string) => void;
  /** A command to run Node under, e.g. `['/usr/bin/time', '-f', '%M']`. */
  wrap?: string[];
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  ms: number;
}

/** A file's text; '' when it is missing or not a file (a test may point GITHUB_STEP_SUMMARY elsewhere). */
function readIfFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The runner evaluates `${{ github.token }}`; here a fixed, obviously fake token stands in. */
export const GITHUB_TOKEN_STANDIN = 'ghs_exampletoken0000000000000000000000';

/** The environment the runner would give the action's process. */
export function actionEnv(options: RunOptions, dir: string): Record<string, string> {
  const env = childEnv();
  for (const [name, value] of inputDefaults(readFileSync(options.actionYml ?? ACTION_YML, 'utf8'))) {
    env[inputEnvName(name)] = value.includes('${{') ? GITHUB_TOKEN_STANDIN : value;
  }
  for (const [name, value] of Object.entries(options.inputs)) env[inputEnvName(name)] = value;
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'step_summary.md'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_EVENT_NAME: 'push',
    ...options.env,
  });
  return env;
}

/** Runs the action with this process's Node (24) as the runner would, and reads back what it wrote. */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'elb-job-wait-'));
  const env = actionEnv(options, dir);
  // The runner creates its files empty; a test may point a variable somewhere else, or nowhere.
  for (const file of [env.GITHUB_OUTPUT, env.GITHUB_STEP_SUMMARY, env.GITHUB_STATE])
    if (file?.startsWith(dir)) writeFileSync(file, '');
  const started = performance.now();
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const [command, ...args] = [...(options.wrap ?? []), process.execPath, options.entry ?? ACTION_ENTRY];
      const child = spawn(command as string, args, {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      options.onSpawn?.(child);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (options.live) process.stdout.write(chunk);
        options.onStdout?.(chunk);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (options.live) process.stderr.write(chunk);
      });
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({
          code,
          signal,
          stdout,
          stderr,
          outputs: Object.fromEntries(parseOutputFile(readIfFile(env.GITHUB_OUTPUT as string))),
          summary: readIfFile(env.GITHUB_STEP_SUMMARY as string),
          ms: performance.now() - started,
        }),
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
