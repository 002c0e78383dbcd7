/** The core, in process, with a plain-object IO instead of @actions/core: it needs nothing from the runner. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PROJECT_ID, ElbEmulator, upgradeJob } from '../emulator/index.ts';
import { type ActionIO, runAction as run } from '../src/action.ts';

const AK = 'MAINTESTACCESSKEY000';
const SK = 'main-test-secret-key-000000000000000000';

function fakeIO(inputs: Record<string, string>) {
  const calls: Array<[string, string]> = [];
  const outputs: Record<string, string> = {};
  let summary = '';
  const log = (kind: string) => (message: string) => void calls.push([kind, message]);
  const io: ActionIO = {
    getInput: (name) => inputs[name] ?? '',
    env: {},
    setSecret: log('setSecret'),
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    debug: log('debug'),
    info: log('info'),
    startGroup: log('group'),
    endGroup: () => undefined,
    notice: log('notice'),
    warning: log('warning'),
    setFailed: log('failed'),
    writeSummary: async (markdown) => {
      summary = markdown;
    },
    getIDToken: async () => {
      throw new Error('not used');
    },
  };
  return { io, calls, outputs, summary: () => summary };
}

let emulator: ElbEmulator;
let url: string;
beforeEach(async () => {
  emulator = new ElbEmulator({ credentials: [{ accessKey: AK, secretKey: SK }] });
  url = await emulator.start();
});
afterEach(async () => {
  await emulator.stop();
});

describe('run', () => {
  it('masks every credential before it logs anything, waits, and reports through the IO it is given', async () => {
    const id = emulator.addJob(upgradeJob({ durationMs: 300, outcome: 'COMPLETE' })).job_id;
    const f = fakeIO({
      endpoint: url,
      project_id: DEMO_PROJECT_ID,
      access_key: AK,
      secret_key: SK,
      job_id: id,
      poll_interval: '100ms',
      max_poll_interval: '200ms',
      github_token: 'ghs_maintesttoken000000000000000000000',
    });
    await expect(run(f.io)).resolves.toBe('success');
    const firstOther = f.calls.findIndex(([kind]) => kind !== 'setSecret');
    const secrets = f.calls.slice(0, firstOther).map(([, value]) => value);
    expect(secrets).toEqual(expect.arrayContaining([AK, SK, 'ghs_maintesttoken000000000000000000000']));
    expect(f.calls.slice(firstOther).some(([kind]) => kind === 'setSecret')).toBe(false);
    expect(f.outputs).toMatchObject({ result: 'success', status: 'COMPLETE', job_id: id });
    expect(f.summary()).toMatch(/^## ✅ COMPLETE · UPGRADE /);
    expect(f.calls.some(([kind]) => kind === 'failed')).toBe(false);
  });

  it('never throws: a bad input still ends with outputs, a summary and one failure', async () => {
    const f = fakeIO({
      endpoint: url,
      project_id: DEMO_PROJECT_ID,
      access_key: AK,
      secret_key: SK,
      job_id: 'a b',
    });
    await expect(run(f.io)).resolves.toBe('error');
    expect(f.outputs.result).toBe('error');
    expect(f.summary()).toMatch(/^## ⚠️ ERROR/);
    expect(f.calls.filter(([kind]) => kind === 'failed')).toEqual([
      ['failed', expect.stringMatching(/^Input 'job_id': /)],
    ]);
    expect(emulator.requests).toHaveLength(0);
  });
});
