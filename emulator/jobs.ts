/**
 * The emulator's job model: scripted timelines and the pure function `jobAt` that says what
 * `GET /v3/{project_id}/elb/jobs` serves for a job at a given time. No I/O here, so a benchmark
 * can run the model without HTTP.
 *
 * Times: a script's offsets are milliseconds since the job was added to the emulator (by the
 * emulator's clock). `jobAt(script, elapsedMs, addedAtMs)` turns them into the API's absolute
 * `2024-03-23T08:20:42Z` strings.
 */
import { randomUUID } from 'node:crypto';

/** Statuses after which a job or sub-job does not change any more (end_time is set). */
export const TERMINAL_STATUSES: readonly string[] = [
  'SUCCESS',
  'COMPLETE',
  'FAIL',
  'ROLLBACK_FAIL',
  'CANCEL',
];

/** A project ID for demos and tests (32 hex, obviously fake). */
export const DEMO_PROJECT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

export interface CanonicalEntity {
  resource_id: string;
  resource_type: string;
}

/** A SubJob exactly as the API serves it: every field present, '' when there is no value. */
export interface CanonicalSubJob {
  status: string;
  entities: CanonicalEntity[];
  begin_time: string;
  end_time: string;
  job_id: string;
  resource_id: string;
  job_type: string;
  error_code: string;
  error_msg: string;
  project_id: string;
}

/** A MainJob exactly as the API serves it (same fields and key order as the API page's example). */
export interface CanonicalMainJob {
  status: string;
  begin_time: string;
  end_time: string;
  job_id: string;
  resource_id: string;
  job_type: string;
  error_code: string;
  error_msg: string;
  project_id: string;
  sub_jobs: CanonicalSubJob[];
}

/** The example job of the API page (seed 000), verbatim: the reference for the served shape. */
export const SEED_EXAMPLE_JOB: CanonicalMainJob = {
  status: 'COMPLETE',
  begin_time: '2024-03-23T08:20:42Z',
  end_time: '2024-03-23T08:49:11Z',
  job_id: 'ef6da45b-35d9-4c18-8c35-0b80d94ab9e6',
  resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50',
  job_type: 'UPGRADE',
  error_code: '',
  error_msg: '',
  project_id: '7b7705dce1e847b08b3b16dda67fec24',
  sub_jobs: [
    {
      status: 'SUCCESS',
      entities: [{ resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50', resource_type: 'loadbalancer' }],
      begin_time: '2024-03-23T08:47:11Z',
      end_time: '2024-03-23T08:47:11Z',
      job_id: '481a5ab3-b3ff-46fa-b074-d3b8e09ab9cb',
      resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50',
      job_type: 'UPGRADE_TRAFFIC_SWITCH',
      error_code: '',
      error_msg: '',
      project_id: '7b7705dce1e847b08b3b16dda67fec24',
    },
    {
      status: 'SUCCESS',
      entities: [{ resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50', resource_type: 'loadbalancer' }],
      begin_time: '2024-03-23T08:20:42Z',
      end_time: '2024-03-23T08:46:44Z',
      job_id: 'c4cf4e5b-fa53-427d-ad43-497e7a876c2e',
      resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50',
      job_type: 'UPGRADE_INIT',
      error_code: '',
      error_msg: '',
      project_id: '7b7705dce1e847b08b3b16dda67fec24',
    },
    {
      status: 'SUCCESS',
      entities: [{ resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50', resource_type: 'loadbalancer' }],
      begin_time: '2024-03-23T08:49:11Z',
      end_time: '2024-03-23T08:49:11Z',
      job_id: 'ee56e027-5d52-4bd9-abba-9821a742a466',
      resource_id: '9f5b432c-987e-4777-a1bc-6642be4b2b50',
      job_type: 'UPGRADE_COMPLETE',
      error_code: '',
      error_msg: '',
      project_id: '7b7705dce1e847b08b3b16dda67fec24',
    },
  ],
};

/** The fixed part of a sub-job. */
export interface SubJobScript {
  job_id: string;
  job_type: string;
  /** Defaults to the main job's resource_id. */
  resource_id?: string;
  /** Defaults to `[{ resource_id, resource_type: 'loadbalancer' }]`. */
  entities?: CanonicalEntity[];
}

export interface SubJobState {
  status: string;
  error_code?: string;
  error_msg?: string;
}

/**
 * One point of a timeline. It sets the whole state from `atMs` on: the main job's status and
 * error, and each sub-job's state (by index into `JobScript.sub_jobs`; a missing entry is `INIT`).
 */
export interface JobState {
  atMs: number;
  status: string;
  error_code?: string;
  error_msg?: string;
  sub_jobs?: SubJobState[];
}

export interface JobScript {
  job_id: string;
  job_type: string;
  resource_id: string;
  project_id: string;
  /** The job is absent from every response until this many ms after it was added. Default 0. */
  listedAfterMs?: number;
  sub_jobs: SubJobScript[];
  /**
   * Ascending `atMs`. The job exists from the first state on (its begin_time); offsets may be
   * negative for a job that started before it was added (an older, finished job).
   */
  timeline: JobState[];
}

/** `2024-03-23T08:20:42Z`: the API's time format (UTC, whole seconds). */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Throws when a script cannot be served (empty or unordered timeline, unknown sub-job index). */
export function validateScript(script: JobScript): void {
  if (!script.job_id) throw new Error('job script: job_id is empty');
  if (script.timeline.length === 0) throw new Error(`job script ${script.job_id}: the timeline is empty`);
  let previous = Number.NEGATIVE_INFINITY;
  for (const state of script.timeline) {
    if (!Number.isFinite(state.atMs)) throw new Error(`job script ${script.job_id}: atMs is not a number`);
    if (state.atMs < previous) {
      throw new Error(
        `job script ${script.job_id}: timeline offsets must ascend (${state.atMs} after ${previous})`,
      );
    }
    previous = state.atMs;
    if ((state.sub_jobs?.length ?? 0) > script.sub_jobs.length) {
      throw new Error(`job script ${script.job_id}: a state lists more sub-jobs than the script has`);
    }
  }
}

/** Index of the last state with `atMs <= elapsedMs`, or -1. */
function stateIndexAt(script: JobScript, elapsedMs: number): number {
  let index = -1;
  for (let i = 0; i < script.timeline.length; i++) {
    const state = script.timeline[i];
    if (state !== undefined && state.atMs <= elapsedMs) index = i;
  }
  return index;
}

function subStateOf(state: JobState, subIndex: number): SubJobState {
  return state.sub_jobs?.[subIndex] ?? { status: 'INIT' };
}

/**
 * begin: the first state at which `statusOf` is not INIT (or the first state, when `fromCreation`).
 * end: when the current status is terminal, the state at which that status began.
 */
function times(
  script: JobScript,
  index: number,
  addedAtMs: number,
  statusOf: (state: JobState) => string,
  fromCreation: boolean,
): { begin: string; end: string } {
  const states = script.timeline.slice(0, index + 1);
  let begin = '';
  for (const state of states) {
    if (fromCreation || statusOf(state) !== 'INIT') {
      begin = apiTime(addedAtMs + state.atMs);
      break;
    }
  }
  const last = states[states.length - 1];
  let end = '';
  if (last !== undefined && TERMINAL_STATUSES.includes(statusOf(last))) {
    let start = states.length - 1;
    while (start > 0) {
      const before = states[start - 1];
      if (before === undefined || statusOf(before) !== statusOf(last)) break;
      start--;
    }
    const first = states[start];
    if (first !== undefined) end = apiTime(addedAtMs + first.atMs);
  }
  return { begin, end };
}

/**
 * What the API serves for `script` `elapsedMs` after it was added at `addedAtMs` (epoch ms):
 * the last state with offset <= elapsedMs, with begin/end times derived; `undefined` while the
 * job is not listed yet (before `listedAfterMs`, or before its first state). Pure.
 */
export function jobAt(script: JobScript, elapsedMs: number, addedAtMs = 0): CanonicalMainJob | undefined {
  if (elapsedMs < (script.listedAfterMs ?? 0)) return undefined;
  const index = stateIndexAt(script, elapsedMs);
  const state = script.timeline[index];
  if (state === undefined) return undefined;
  const main = times(script, index, addedAtMs, (s) => s.status, true);
  return {
    status: state.status,
    begin_time: main.begin,
    end_time: main.end,
    job_id: script.job_id,
    resource_id: script.resource_id,
    job_type: script.job_type,
    error_code: state.error_code ?? '',
    error_msg: state.error_msg ?? '',
    project_id: script.project_id,
    sub_jobs: script.sub_jobs.map((sub, i) => {
      const subState = subStateOf(state, i);
      const subTimes = times(script, index, addedAtMs, (s) => subStateOf(s, i).status, false);
      const resourceId = sub.resource_id ?? script.resource_id;
      return {
        status: subState.status,
        entities: (sub.entities ?? [{ resource_id: resourceId, resource_type: 'loadbalancer' }]).map((e) => ({
          resource_id: e.resource_id,
          resource_type: e.resource_type,
        })),
        begin_time: subTimes.begin,
        end_time: subTimes.end,
        job_id: sub.job_id,
        resource_id: resourceId,
        job_type: sub.job_type,
        error_code: subState.error_code ?? '',
        error_msg: subState.error_msg ?? '',
        project_id: script.project_id,
      };
    }),
  };
}

/** Begin time (epoch ms) of a script added at `addedAtMs`: the time of its first state. */
export function beginMs(script: JobScript, addedAtMs: number): number {
  return addedAtMs + (script.timeline[0]?.atMs ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Builders

export type UpgradeOutcome = 'COMPLETE' | 'FAIL' | 'ROLLBACK_FAIL' | 'CANCEL';

export interface UpgradeJobOptions {
  jobId?: string;
  resourceId?: string;
  projectId?: string;
  /** From the first state (main INIT) to the terminal one. */
  durationMs: number;
  outcome: UpgradeOutcome;
  listedAfterMs?: number;
  /** Shifts the whole timeline (negative: the upgrade started before the job was added). Default 0. */
  beginOffsetMs?: number;
  /** For FAIL / ROLLBACK_FAIL. Default `ELB.8907`. */
  errorCode?: string;
  errorMsg?: string;
  /** IDs of UPGRADE_INIT, UPGRADE_TRAFFIC_SWITCH, UPGRADE_COMPLETE. Random by default. */
  subJobIds?: [string, string, string];
}

const S = (status: string, error_code?: string, error_msg?: string): SubJobState =>
  error_code === undefined ? { status } : { status, error_code, error_msg: error_msg ?? '' };

/**
 * An UPGRADE job with sub-jobs UPGRADE_INIT, UPGRADE_TRAFFIC_SWITCH, UPGRADE_COMPLETE. With
 * b = beginOffsetMs and D = durationMs:
 *
 * | at | main | INIT | TRAFFIC_SWITCH | COMPLETE |
 * |---|---|---|---|---|
 * | b | INIT | INIT | INIT | INIT |
 * | b+0.1D | RUNNING | RUNNING | INIT | INIT |
 * | b+0.6D | RUNNING | SUCCESS | RUNNING | INIT |
 * | b+0.8D | RUNNING | SUCCESS | SUCCESS | RUNNING |
 * | b+D | COMPLETE | SUCCESS | SUCCESS | SUCCESS |
 *
 * FAIL: at b+D TRAFFIC_SWITCH FAIL and main FAIL, both with the error (the 0.8D row is skipped).
 * ROLLBACK_FAIL: at b+0.8D TRAFFIC_SWITCH FAIL (with the error) and main ROLLBACKING; at b+D main
 * ROLLBACK_FAIL with the error. CANCEL: at b+D UPGRADE_INIT CANCEL and main CANCEL (the 0.6D and
 * 0.8D rows are skipped).
 */
export function upgradeJob(options: UpgradeJobOptions): JobScript {
  const b = options.beginOffsetMs ?? 0;
  const d = options.durationMs;
  if (!(d > 0)) throw new Error('upgradeJob: durationMs must be > 0');
  const at = (fraction: number) => b + Math.round(d * fraction);
  const code = options.errorCode ?? 'ELB.8907';
  const msg = options.errorMsg ?? 'Failed to switch traffic to the upgraded load balancer.';
  const resourceId = options.resourceId ?? randomUUID();
  const ids = options.subJobIds ?? [randomUUID(), randomUUID(), randomUUID()];
  const timeline: JobState[] = [
    { atMs: at(0), status: 'INIT', sub_jobs: [S('INIT'), S('INIT'), S('INIT')] },
    { atMs: at(0.1), status: 'RUNNING', sub_jobs: [S('RUNNING'), S('INIT'), S('INIT')] },
  ];
  switch (options.outcome) {
    case 'COMPLETE':
      timeline.push(
        { atMs: at(0.6), status: 'RUNNING', sub_jobs: [S('SUCCESS'), S('RUNNING'), S('INIT')] },
        { atMs: at(0.8), status: 'RUNNING', sub_jobs: [S('SUCCESS'), S('SUCCESS'), S('RUNNING')] },
        { atMs: at(1), status: 'COMPLETE', sub_jobs: [S('SUCCESS'), S('SUCCESS'), S('SUCCESS')] },
      );
      break;
    case 'FAIL':
      timeline.push(
        { atMs: at(0.6), status: 'RUNNING', sub_jobs: [S('SUCCESS'), S('RUNNING'), S('INIT')] },
        {
          atMs: at(1),
          status: 'FAIL',
          error_code: code,
          error_msg: msg,
          sub_jobs: [S('SUCCESS'), S('FAIL', code, msg), S('INIT')],
        },
      );
      break;
    case 'ROLLBACK_FAIL':
      timeline.push(
        { atMs: at(0.6), status: 'RUNNING', sub_jobs: [S('SUCCESS'), S('RUNNING'), S('INIT')] },
        { atMs: at(0.8), status: 'ROLLBACKING', sub_jobs: [S('SUCCESS'), S('FAIL', code, msg), S('INIT')] },
        {
          atMs: at(1),
          status: 'ROLLBACK_FAIL',
          error_code: code,
          error_msg: msg,
          sub_jobs: [S('SUCCESS'), S('FAIL', code, msg), S('INIT')],
        },
      );
      break;
    case 'CANCEL':
      timeline.push({ atMs: at(1), status: 'CANCEL', sub_jobs: [S('CANCEL'), S('INIT'), S('INIT')] });
      break;
    default:
      throw new Error(`upgradeJob: unknown outcome ${String(options.outcome)}`);
  }
  const script: JobScript = {
    job_id: options.jobId ?? randomUUID(),
    job_type: 'UPGRADE',
    resource_id: resourceId,
    project_id: options.projectId ?? DEMO_PROJECT_ID,
    sub_jobs: [
      { job_id: ids[0], job_type: 'UPGRADE_INIT' },
      { job_id: ids[1], job_type: 'UPGRADE_TRAFFIC_SWITCH' },
      { job_id: ids[2], job_type: 'UPGRADE_COMPLETE' },
    ],
    timeline,
  };
  if (options.listedAfterMs !== undefined) script.listedAfterMs = options.listedAfterMs;
  validateScript(script);
  return script;
}

export interface FinishedJobOptions
  extends Omit<UpgradeJobOptions, 'beginOffsetMs' | 'durationMs' | 'outcome'> {
  /** How long before the job is added it ended. */
  endedAgoMs: number;
  /** Default 30 minutes. */
  durationMs?: number;
  /** Default COMPLETE. */
  outcome?: UpgradeOutcome;
}

/** An UPGRADE job that already ended `endedAgoMs` before it is added (an older job of a resource). */
export function finishedJob(options: FinishedJobOptions): JobScript {
  const durationMs = options.durationMs ?? 30 * 60_000;
  const { endedAgoMs, ...rest } = options;
  return upgradeJob({
    ...rest,
    durationMs,
    outcome: options.outcome ?? 'COMPLETE',
    beginOffsetMs: -(endedAgoMs + durationMs),
  });
}

/** `[offsetMs, status]` or `[offsetMs, status, error_code, error_msg]`. */
export type StatusStep = [number, string] | [number, string, string, string];

export interface SimpleJobOptions {
  jobId?: string;
  jobType: string;
  resourceId?: string;
  projectId?: string;
  listedAfterMs?: number;
  /** The main job's statuses; the first one's offset is the job's begin_time. Ascending offsets. */
  statuses: StatusStep[];
  /** Optional sub-jobs, each with its own steps (INIT before its first step). */
  subJobs?: Array<{
    jobId?: string;
    jobType: string;
    resourceId?: string;
    entities?: CanonicalEntity[];
    statuses: StatusStep[];
  }>;
}

function stepAt(steps: StatusStep[], t: number): SubJobState | undefined {
  let found: StatusStep | undefined;
  for (const step of steps) if (step[0] <= t) found = step;
  if (found === undefined) return undefined;
  return found.length === 4 ? S(found[1], found[2], found[3]) : S(found[1]);
}

/** A job of any type from status steps; sub-job steps are merged into one timeline. */
export function simpleJob(options: SimpleJobOptions): JobScript {
  if (options.statuses.length === 0) throw new Error('simpleJob: statuses is empty');
  const subs = options.subJobs ?? [];
  const first = options.statuses[0]?.[0] ?? 0;
  const offsets = new Set<number>();
  for (const step of options.statuses) offsets.add(step[0]);
  for (const sub of subs) for (const step of sub.statuses) offsets.add(Math.max(step[0], first));
  const timeline: JobState[] = [...offsets]
    .sort((a, b) => a - b)
    .map((t) => {
      const main = stepAt(options.statuses, t) ?? S('INIT');
      const state: JobState = { atMs: t, status: main.status };
      if (main.error_code !== undefined) {
        state.error_code = main.error_code;
        state.error_msg = main.error_msg ?? '';
      }
      if (subs.length > 0) state.sub_jobs = subs.map((sub) => stepAt(sub.statuses, t) ?? S('INIT'));
      return state;
    });
  const resourceId = options.resourceId ?? randomUUID();
  const script: JobScript = {
    job_id: options.jobId ?? randomUUID(),
    job_type: options.jobType,
    resource_id: resourceId,
    project_id: options.projectId ?? DEMO_PROJECT_ID,
    sub_jobs: subs.map((sub) => {
      const s: SubJobScript = { job_id: sub.jobId ?? randomUUID(), job_type: sub.jobType };
      if (sub.resourceId !== undefined) s.resource_id = sub.resourceId;
      if (sub.entities !== undefined) s.entities = sub.entities;
      return s;
    }),
    timeline,
  };
  if (options.listedAfterMs !== undefined) script.listedAfterMs = options.listedAfterMs;
  validateScript(script);
  return script;
}
