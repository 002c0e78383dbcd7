/**
 * `npm run build`: bundles src/ into dist/ with ncc, from an empty dist/ (a chunk left over from an earlier layout
 * would otherwise stay committed unnoticed), and writes dist/licenses.txt.
 *
 * licenses.txt lists every package with code in any chunk, read from ncc's stats: ncc's own --license output leaves
 * out packages that are only in lazily loaded chunks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const work = mkdtempSync(join(tmpdir(), 'build-'));
const statsFile = join(work, 'stats.json');

try {
  rmSync(dist, { recursive: true, force: true });
  const ncc = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      'src/index.ts',
      '-o',
      'dist',
      '-m',
      '--stats-out',
      statsFile,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (ncc.status !== 0) process.exit(ncc.status ?? 1);
  writeFileSync(join(dist, 'licenses.txt'), licenses(JSON.parse(readFileSync(statsFile, 'utf8'))));
} finally {
  rmSync(work, { recursive: true, force: true });
}

interface Stats {
  modules?: Array<{ name?: string; modules?: Array<{ name?: string }> }>;
}

/** The packages whose files are in the bundle (concatenated modules included), with their license texts. */
function licenses(stats: Stats): string {
  const packages = new Map<string, string>(); // directory -> name
  const visit = (module: string | undefined) => {
    const at = module?.lastIndexOf('node_modules/') ?? -1;
    if (!module || at < 0) return;
    const name = /^(?:@[^/]+\/)?[^/]+/.exec(module.slice(at + 'node_modules/'.length))?.[0];
    if (name) packages.set(join(root, module.slice(0, at), 'node_modules', name), name);
  };
  for (const m of stats.modules ?? []) {
    visit(m.name);
    for (const inner of m.modules ?? []) visit(inner.name);
  }
  return [...packages]
    .sort(([dirA, a], [dirB, b]) => a.localeCompare(b) || dirA.localeCompare(dirB))
    .map(([dir, name]) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        version?: string;
        license?: string;
      };
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      if (!file) throw new Error(`${name} has no license file: cannot list its license in dist/licenses.txt`);
      return `${name} ${manifest.version ?? ''}\n${manifest.license ?? 'see below'}\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
    })
    .join('\n');
}
