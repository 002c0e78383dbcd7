/**
 * `node scripts/summary-image.ts`: draws docs/summary.png, the picture of a job summary in the README.
 *
 * Runs the bundled action (dist/index.js: `npm run build` first) against the ELB emulator on two jobs —
 * an UPGRADE that completes in about 4 s and one that fails after about 2 s — takes the step summary
 * it writes, renders it with `marked` into a page styled like GitHub's summary page (light theme) and
 * screenshots that with headless Chromium. Run it by hand when the summary's look changes. Needs
 * Chromium (Debian: `apt-get install chromium fonts-noto-color-emoji`); CHROMIUM overrides its path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marked } from 'marked';
import { ACTION_ENTRY, ROOT, runAction } from '../emulator/action-runner.ts';
import {
  DEMO_ACCESS_KEY,
  DEMO_JOB_ID,
  DEMO_PROJECT_ID,
  DEMO_RESOURCE_ID,
  DEMO_SECRET_KEY,
  ElbEmulator,
  upgradeJob,
} from '../emulator/index.ts';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const OUT = join(ROOT, 'docs', 'summary.png');
const WIDTH = 1000;

/** Runs the action on a completing and a failing job; returns the summary markdown it wrote. */
async function summaryMarkdown(): Promise<string> {
  const emulator = new ElbEmulator({
    credentials: [{ accessKey: DEMO_ACCESS_KEY, secretKey: DEMO_SECRET_KEY }],
  });
  const url = await emulator.start();
  try {
    // The API's times are whole seconds: start both jobs just after a second begins so that every
    // step lands in a second of its own and the picture is the same each run.
    await new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));
    const t0 = Date.now();
    const ok = emulator.addJob(
      upgradeJob({
        jobId: DEMO_JOB_ID,
        resourceId: DEMO_RESOURCE_ID,
        durationMs: 4_000,
        outcome: 'COMPLETE',
      }),
      t0,
    );
    const failed = emulator.addJob(
      upgradeJob({
        jobId: '00000000-0000-4000-8000-0000000000b2',
        resourceId: '00000000-0000-4000-8000-00000000beef',
        durationMs: 2_000,
        outcome: 'FAIL',
        errorCode: 'ELB.8907',
        errorMsg: 'Backend server group unhealthy: traffic switch aborted',
      }),
      t0,
    );
    const result = await runAction({
      inputs: {
        region: 'cn-north-4',
        endpoint: url,
        project_id: DEMO_PROJECT_ID,
        access_key: DEMO_ACCESS_KEY,
        secret_key: DEMO_SECRET_KEY,
        job_id: `${ok.job_id},${failed.job_id}`,
        fail_fast: 'false',
        poll_interval: '200ms',
        max_poll_interval: '500ms',
      },
    });
    if (result.summary.trim() === '') {
      throw new Error(
        `the action wrote no summary (exit code ${result.code}):\n${result.stdout}${result.stderr}`,
      );
    }
    return result.summary;
  } finally {
    await emulator.stop();
  }
}

// GitHub's alert kinds: title colour and a simple icon of our own (a circle, triangle or octagon).
const ALERTS: Record<string, { color: string; icon: string }> = {
  NOTE: { color: '#0969da', icon: 'circle' },
  TIP: { color: '#1a7f37', icon: 'circle' },
  IMPORTANT: { color: '#8250df', icon: 'circle' },
  WARNING: { color: '#9a6700', icon: 'triangle' },
  CAUTION: { color: '#d1242f', icon: 'octagon' },
};

function alertIcon(shape: string): string {
  const outline =
    shape === 'triangle'
      ? '<path d="M8 1.5 15 14.5H1Z"/>'
      : shape === 'octagon'
        ? '<path d="M5 1h6l4 4v6l-4 4H5l-4-4V5Z"/>'
        : '<circle cx="8" cy="8" r="7"/>';
  const mark = shape === 'circle' ? 'M8 7v4.5M8 4.5v.5' : 'M8 5.5v4M8 11.5v.5';
  const svg =
    '<svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.5">';
  return `${svg}${outline}<path d="${mark}" stroke-linecap="round"/></svg>`;
}

/** `> [!CAUTION]` blockquotes to GitHub-style alert boxes (an HTML block around the quote's markdown). */
function convertAlerts(markdown: string): string {
  return markdown.replace(
    /^> \[!([A-Z]+)\][ \t]*\n((?:>.*(?:\n|$))*)/gm,
    (quote, kind: string, body: string) => {
      const alert = ALERTS[kind];
      if (alert === undefined) return quote;
      const title = kind[0] + kind.slice(1).toLowerCase();
      const text = body.replace(/^> ?/gm, '');
      const head = `<div class="alert" style="--alert: ${alert.color}">`;
      return `${head}<p class="alert-title">${alertIcon(alert.icon)}${title}</p>\n\n${text}\n</div>\n`;
    },
  );
}

const CSS = `
  body { margin: 0; padding: 24px; background: #f6f8fa; color: #1f2328; font-size: 14px; line-height: 1.5;
    font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif,
      "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"; }
  .card { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
  .card > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
  .body { padding: 16px 24px 8px; }
  .body > :first-child { margin-top: 0; }
  h2, h3 { font-weight: 600; line-height: 1.25; margin: 24px 0 16px; }
  h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
  h3 { font-size: 1.25em; }
  p, table, pre, .alert { margin: 0 0 16px; }
  table { border-collapse: collapse; border-spacing: 0; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
  th { font-weight: 600; }
  td:first-child { white-space: nowrap; }
  tr:nth-child(2n) { background: #f6f8fa; }
  code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas,
    "DejaVu Sans Mono", "Liberation Mono", monospace; }
  pre { background: #f6f8fa; border-radius: 6px; padding: 16px; font-size: 85%; line-height: 1.45; }
  .alert { padding: 8px 16px; border-left: .25em solid var(--alert); }
  .alert > :last-child { margin-bottom: 0; }
  .alert-title { display: flex; align-items: center; gap: 8px; margin-bottom: 4px; color: var(--alert);
    font-weight: 500; }
`;

function page(markdown: string): string {
  const html = marked.parse(convertAlerts(markdown), { gfm: true, async: false });
  // Narrow table columns: let timestamps break between date and time rather than after a hyphen.
  const body = html.replace(/(\d{4}-\d\d-\d\d)(T\d\d:\d\d:\d\dZ)/g, '$1<wbr>$2');
  return `<!doctype html>
<html><head><meta charset="utf-8"><style>${CSS}</style></head>
<body><div class="card"><header>deploy summary</header><div class="body">
${body}
</div></div>
<script>document.body.dataset.height = Math.ceil(document.documentElement.getBoundingClientRect().height);</script>
</body></html>`;
}

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'summary-image-profile-'));
  try {
    const run = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (run.status !== 0) throw new Error(`chromium failed (${run.status ?? run.signal}):\n${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    console.error(
      `${CHROMIUM} not found: install Chromium (apt-get install chromium fonts-noto-color-emoji)`,
    );
    return 1;
  }
  if (!existsSync(ACTION_ENTRY)) {
    console.error(`${ACTION_ENTRY} does not exist yet: run \`npm run build\` first.`);
    return 1;
  }
  const markdown = await summaryMarkdown();
  const dir = mkdtempSync(join(tmpdir(), 'summary-image-'));
  try {
    const html = join(dir, 'summary.html');
    writeFileSync(html, page(markdown));
    // First lay the page out at the final width to measure its height, then screenshot exactly that.
    const dom = chromium([`--window-size=${WIDTH},800`, '--dump-dom', `file://${html}`]);
    const height = Number(/data-height="(\d+)"/.exec(dom)?.[1]);
    if (!(height > 0)) throw new Error('could not measure the page height');
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    chromium([`--window-size=${WIDTH},${height}`, `--screenshot=${OUT}`, `file://${html}`]);
    console.log(`wrote ${OUT} (${WIDTH}x${height}, ${Math.round(statSync(OUT).size / 1024)} KB)`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
