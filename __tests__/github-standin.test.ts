import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CheckRun,
  GITHUB_ACTIONS_APP,
  GitHubStandIn,
  type GitHubStandInOptions,
  manualClock,
} from '../emulator/index.ts';

// What @actions/github read from GITHUB_API_URL when it was imported (before any test ran).
const API_URL_AT_IMPORT = process.env.GITHUB_API_URL || 'https://api.github.com';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'ghs_standintoken000000000000000000001';
const OWNER = 'example';
const REPO = 'app';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const T0 = Date.parse('2024-03-23T08:20:42Z');
const CREATE_DOCS = 'https://docs.github.com/rest/checks/runs#create-a-check-run';
const UPDATE_DOCS = 'https://docs.github.com/rest/checks/runs#update-a-check-run';
const STATUS_LIST = '["queued", "in_progress", "completed"]';
const CONCLUSION_LIST =
  '["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"]';

let standIn: GitHubStandIn | undefined;
afterEach(async () => {
  await standIn?.stop();
  standIn = undefined;
});

async function setup(options: Partial<GitHubStandInOptions> = {}) {
  const clock = manualClock(T0);
  const gh = new GitHubStandIn({ token: TOKEN, now: clock.now, ...options });
  standIn = gh;
  const url = await gh.start();
  const octokit = getOctokit(TOKEN, { baseUrl: url });
  return { gh, url, clock, octokit };
}

interface Failure {
  name: string;
  status: number;
  message: string;
  data: unknown;
  headers: Record<string, string | undefined>;
}

/** The RequestError an Octokit call rejects with. */
async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & {
      status: number;
      response?: { data: unknown; headers: Record<string, string | undefined> };
    };
    return {
      name: e.name,
      status: e.status,
      message: e.message,
      data: e.response?.data,
      headers: e.response?.headers ?? {},
    };
  }
  throw new Error('expected the call to fail');
}

function expectedRun(url: string, id: number, overrides: Partial<CheckRun>): CheckRun {
  const api = `${url}/repos/${OWNER}/${REPO}/check-runs/${id}`;
  return {
    id,
    node_id: `CR_${Buffer.from(`CheckRun:${id}`).toString('base64url')}`,
    name: 'ELB jobs',
    head_sha: SHA,
    external_id: null,
    url: api,
    html_url: `https://github.com/${OWNER}/${REPO}/runs/${id}`,
    details_url: null,
    status: 'in_progress',
    conclusion: null,
    started_at: '2024-03-23T08:20:42Z',
    completed_at: null,
    output: {
      title: null,
      summary: null,
      text: null,
      annotations_count: 0,
      annotations_url: `${api}/annotations`,
    },
    check_suite: { id: 1 },
    app: { ...GITHUB_ACTIONS_APP },
    pull_requests: [],
    ...overrides,
  };
}

describe('GitHubStandIn with @actions/github', () => {
  it('creates a check run: 201, the run object, GitHub-like headers and a record of the call', async () => {
    const { gh, url, octokit } = await setup();
    const res = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
      status: 'in_progress',
      output: { title: 'Waiting for 1 ELB job', summary: 'job-1: RUNNING' },
    });
    const run = expectedRun(url, 1, {
      output: {
        title: 'Waiting for 1 ELB job',
        summary: 'job-1: RUNNING',
        text: null,
        annotations_count: 0,
        annotations_url: `${url}/repos/${OWNER}/${REPO}/check-runs/1/annotations`,
      },
    });
    expect(res.status).toBe(201);
    expect(res.data).toEqual(run);
    expect(gh.runs.get(1)).toEqual(run);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-github-request-id']).toMatch(
      /^[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{7}:[0-9A-F]{7}:[0-9A-F]{8}$/,
    );
    expect(res.headers['x-ratelimit-limit']).toBe('1000');
    expect(res.headers['x-ratelimit-remaining']).toBe('999');
    expect(res.headers['x-ratelimit-used']).toBe('1');
    expect(res.headers['x-ratelimit-reset']).toBe(String(T0 / 1000 + 3600));
    expect(res.headers['x-accepted-github-permissions']).toBe('checks=write');

    expect(gh.calls).toHaveLength(1);
    const call = gh.calls[0];
    expect(call).toMatchObject({
      method: 'POST',
      path: `/repos/${OWNER}/${REPO}/check-runs`,
      route: 'create',
      owner: OWNER,
      repo: REPO,
      id: 1,
      status: 201,
      time: T0,
      requestId: res.headers['x-github-request-id'],
      body: {
        name: 'ELB jobs',
        head_sha: SHA,
        status: 'in_progress',
        output: { title: 'Waiting for 1 ELB job', summary: 'job-1: RUNNING' },
      },
    });
    // What @actions/github sends: `token <t>`, the v3 media type, and Octokit's user agent, which on
    // Node >= 21 ends with navigator.userAgent ("Node.js/<major>", no platform). No API version header.
    expect(call?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(call?.headers.accept).toBe('application/vnd.github.v3+json');
    expect(call?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(navigator.userAgent).toBe(`Node.js/${process.versions.node.split('.')[0]}`);
    expect(call?.headers['user-agent']).toBe(`octokit-core.js/7.0.8 ${navigator.userAgent}`);
    expect(call?.headers['x-github-api-version']).toBeUndefined();
  });

  it('updates (merging the body) and completes runs; ids increment from 1', async () => {
    const { gh, url, clock, octokit } = await setup();
    const first = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
    });
    const second = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'other',
      head_sha: 'f'.repeat(40),
      status: 'in_progress',
    });
    expect([first.data.id, second.data.id]).toEqual([1, 2]);
    expect(first.data.status).toBe('queued');
    expect(second.data.check_suite).toEqual({ id: 2 });

    clock.advance(5_000);
    const updated = await octokit.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: 1,
      status: 'in_progress',
      details_url: 'https://example.com/details',
      output: { title: 'Waiting', summary: 'job-1: RUNNING', text: 'details' },
    });
    const annotationsUrl = `${url}/repos/${OWNER}/${REPO}/check-runs/1/annotations`;
    expect(updated.status).toBe(200);
    expect(updated.data).toEqual(
      expectedRun(url, 1, {
        details_url: 'https://example.com/details',
        output: {
          title: 'Waiting',
          summary: 'job-1: RUNNING',
          text: 'details',
          annotations_count: 0,
          annotations_url: annotationsUrl,
        },
      }),
    );

    clock.advance(60_000);
    const completed = await octokit.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: 1,
      status: 'completed',
      conclusion: 'failure',
      output: { title: '1 job failed', summary: 'job-1: FAIL' },
    });
    const final = expectedRun(url, 1, {
      details_url: 'https://example.com/details',
      status: 'completed',
      conclusion: 'failure',
      completed_at: '2024-03-23T08:21:47Z',
      // `text` was not sent again: the earlier one stays.
      output: {
        title: '1 job failed',
        summary: 'job-1: FAIL',
        text: 'details',
        annotations_count: 0,
        annotations_url: annotationsUrl,
      },
    });
    expect(completed.data).toEqual(final);
    expect(gh.runs.get(1)).toEqual(final);
    expect(gh.runs.get(2)?.status).toBe('in_progress');
    expect(gh.calls.map((c) => [c.method, c.path, c.id, c.status])).toEqual([
      ['POST', `/repos/${OWNER}/${REPO}/check-runs`, 1, 201],
      ['POST', `/repos/${OWNER}/${REPO}/check-runs`, 2, 201],
      ['PATCH', `/repos/${OWNER}/${REPO}/check-runs/1`, 1, 200],
      ['PATCH', `/repos/${OWNER}/${REPO}/check-runs/1`, 1, 200],
    ]);
    expect(gh.calls.map((c) => c.time)).toEqual([T0, T0, T0 + 5_000, T0 + 65_000]);
  });

  it('a conclusion alone completes the run (completed_at: now, or the one given)', async () => {
    const { gh, clock, octokit } = await setup();
    await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
      status: 'in_progress',
    });
    clock.advance(90_000);
    const res = await octokit.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: 1,
      conclusion: 'timed_out',
    });
    expect([res.data.status, res.data.conclusion, res.data.completed_at]).toEqual([
      'completed',
      'timed_out',
      '2024-03-23T08:22:12Z',
    ]);
    const created = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'done',
      head_sha: SHA,
      status: 'in_progress',
      conclusion: 'success',
      started_at: '2024-03-23T08:00:00.250Z',
      completed_at: '2024-03-23T08:10:00+01:00',
    });
    expect([
      created.data.status,
      created.data.conclusion,
      created.data.started_at,
      created.data.completed_at,
    ]).toEqual(['completed', 'success', '2024-03-23T08:00:00Z', '2024-03-23T07:10:00Z']);
    // Completed again without a conclusion: the run already has one.
    const again = await octokit.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: 1,
      status: 'completed',
    });
    expect([again.status, again.data.conclusion]).toEqual([200, 'timed_out']);
    expect(gh.runs.get(2)?.check_suite).toEqual({ id: 1 });
  });

  it('deny "create": 403 Resource not accessible by integration, once, with no retry', async () => {
    const { gh, octokit } = await setup({ deny: 'create' });
    const f = await failure(
      octokit.rest.checks.create({
        owner: OWNER,
        repo: REPO,
        name: 'ELB jobs',
        head_sha: SHA,
        status: 'in_progress',
      }),
    );
    expect(f).toMatchObject({
      name: 'HttpError',
      status: 403,
      message: `Resource not accessible by integration - ${CREATE_DOCS}`,
      data: {
        message: 'Resource not accessible by integration',
        documentation_url: CREATE_DOCS,
        status: '403',
      },
    });
    expect(f.headers['x-accepted-github-permissions']).toBe('checks=write');
    expect(gh.calls.map((c) => c.status)).toEqual([403]);
    expect(gh.runs.size).toBe(0);
  });

  it('deny changes mid-test: "update" refuses only updates, "all" both, undefined neither', async () => {
    const { gh, octokit } = await setup();
    const create = () =>
      octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA });
    const update = () =>
      octokit.rest.checks.update({ owner: OWNER, repo: REPO, check_run_id: 1, conclusion: 'success' });
    await create();
    gh.deny = 'update';
    expect(await failure(update())).toMatchObject({
      status: 403,
      message: `Resource not accessible by integration - ${UPDATE_DOCS}`,
      data: {
        message: 'Resource not accessible by integration',
        documentation_url: UPDATE_DOCS,
        status: '403',
      },
    });
    expect((await create()).data.id).toBe(2);
    gh.deny = 'all';
    expect((await failure(create())).status).toBe(403);
    expect((await failure(update())).status).toBe(403);
    gh.deny = undefined;
    expect((await update()).data.conclusion).toBe('success');
    expect(gh.calls.map((c) => `${c.method} ${c.status}`)).toEqual([
      'POST 201',
      'PATCH 403',
      'POST 201',
      'POST 403',
      'PATCH 403',
      'PATCH 200',
    ]);
    expect(gh.runs.get(1)?.status).toBe('completed');
  });

  it('401 Bad credentials for a wrong token; `Bearer` is accepted; no header: Requires authentication', async () => {
    const { gh, url } = await setup();
    const wrong = getOctokit('ghs_wrong', { baseUrl: url });
    expect(
      await failure(wrong.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA })),
    ).toMatchObject({
      status: 401,
      message: 'Bad credentials - https://docs.github.com/rest',
      data: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
    });
    expect(gh.runs.size).toBe(0);

    const bearer = await fetch(`${url}/repos/${OWNER}/${REPO}/check-runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ELB jobs', head_sha: SHA }),
    });
    expect(bearer.status).toBe(201);
    expect(((await bearer.json()) as CheckRun).id).toBe(1);

    const anonymous = await fetch(`${url}/repos/${OWNER}/${REPO}/check-runs/1`, {
      method: 'PATCH',
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({
      message: 'Requires authentication',
      documentation_url: UPDATE_DOCS,
      status: '401',
    });
    expect(gh.calls.map((c) => c.status)).toEqual([401, 201, 401]);
  });

  it('@octokit/auth-token sends a JWT-shaped token as `bearer`; the stand-in accepts it', async () => {
    const jwtLike = 'aaa.bbb.ccc';
    const gh = new GitHubStandIn({ token: jwtLike });
    standIn = gh;
    const url = await gh.start();
    const res = await getOctokit(jwtLike, { baseUrl: url }).rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
    });
    expect(res.status).toBe(201);
    expect(gh.calls[0]?.headers.authorization).toBe(`bearer ${jwtLike}`);
  });

  describe('422 on create, with GitHub-like bodies', () => {
    const base = { name: 'ELB jobs', head_sha: SHA };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['name missing', { head_sha: SHA }, '"name" wasn\'t supplied.'],
      ['head_sha missing', { name: 'ELB jobs' }, '"head_sha" wasn\'t supplied.'],
      ['both missing', {}, '"name", "head_sha" weren\'t supplied.'],
      ['name null', { ...base, name: null }, "For 'properties/name', nil is not a string."],
      ['head_sha a number', { ...base, head_sha: 42 }, "For 'properties/head_sha', 42 is not a string."],
      [
        'unknown status',
        { ...base, status: 'done' },
        `For 'properties/status', "done" is not a member of ${STATUS_LIST}.`,
      ],
      ['completed without conclusion', { ...base, status: 'completed' }, '"conclusion" wasn\'t supplied.'],
      [
        'completed_at without conclusion',
        { ...base, completed_at: '2024-03-23T08:30:00Z' },
        '"conclusion" wasn\'t supplied.',
      ],
      [
        'unknown conclusion',
        { ...base, status: 'completed', conclusion: 'passed' },
        `For 'properties/conclusion', "passed" is not a member of ${CONCLUSION_LIST}.`,
      ],
      [
        'output not an object',
        { ...base, output: 'done' },
        `For 'properties/output', "done" is not an object.`,
      ],
      ['output without title', { ...base, output: { summary: 's' } }, '"title" wasn\'t supplied.'],
      ['output without title and summary', { ...base, output: {} }, '"title", "summary" weren\'t supplied.'],
      [
        'summary over 65535 characters',
        { ...base, output: { title: 't', summary: 'a'.repeat(65_536) } },
        'Only 65535 characters are allowed; 65536 were supplied.',
      ],
      [
        'text over 65535 characters',
        { ...base, output: { title: 't', summary: 's', text: '😀'.repeat(70_000) } },
        'Only 65535 characters are allowed; 70000 were supplied.',
      ],
      [
        'started_at not a date-time',
        { ...base, started_at: 'yesterday' },
        `For 'properties/started_at', "yesterday" is not a valid date-time.`,
      ],
      [
        'several problems at once',
        { status: 'done', output: { title: 1, summary: 's' } },
        `"name", "head_sha" weren't supplied.\nFor 'properties/status', "done" is not a member of ${STATUS_LIST}.\nFor 'properties/title', 1 is not a string.`,
      ],
    ];
    it.each(cases)('%s', async (_label, body, problem) => {
      const { gh, octokit } = await setup();
      const f = await failure(octokit.rest.checks.create({ owner: OWNER, repo: REPO, ...body } as never));
      const message = `Invalid request.\n\n${problem}`;
      expect(f).toMatchObject({ status: 422, message: `${message} - ${CREATE_DOCS}` });
      expect(f.data).toEqual({ message, documentation_url: CREATE_DOCS, status: '422' });
      expect(gh.calls.map((c) => [c.status, c.id])).toEqual([[422, undefined]]);
      expect(gh.runs.size).toBe(0);
      // A refused create does not use up an id.
      expect((await octokit.rest.checks.create({ owner: OWNER, repo: REPO, ...base })).data.id).toBe(1);
    });

    it('summary over 65535 UTF-8 bytes (but not characters): Validation Failed, as GitHub counts bytes', async () => {
      const { gh, octokit } = await setup();
      const summary = '€'.repeat(21_846); // 21846 characters, 65538 bytes
      const f = await failure(
        octokit.rest.checks.create({ owner: OWNER, repo: REPO, ...base, output: { title: 't', summary } }),
      );
      const error = {
        resource: 'CheckRun',
        code: 'custom',
        field: 'summary',
        message: 'summary exceeds a maximum bytesize of 65535',
      };
      expect(f.status).toBe(422);
      expect(f.message).toBe(`Validation Failed: ${JSON.stringify(error)} - ${CREATE_DOCS}`);
      expect(f.data).toEqual({
        message: 'Validation Failed',
        errors: [error],
        documentation_url: CREATE_DOCS,
        status: '422',
      });
      // Exactly at the limit, in characters and in bytes, is fine.
      for (const atLimit of ['a'.repeat(65_535), '€'.repeat(21_845)]) {
        const ok = await octokit.rest.checks.create({
          owner: OWNER,
          repo: REPO,
          ...base,
          output: { title: 't', summary: atLimit },
        });
        expect(ok.data.output.summary).toBe(atLimit);
      }
      expect(gh.calls.map((c) => c.status)).toEqual([422, 201, 201]);
    });
  });

  it('422 on update: completed without a conclusion, bad status, output without title; the run is unchanged', async () => {
    const { gh, octokit } = await setup();
    await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
      status: 'in_progress',
      output: { title: 'Waiting', summary: 'job-1: RUNNING' },
    });
    const before = structuredClone(gh.runs.get(1));
    const update = (body: Record<string, unknown>) =>
      failure(octokit.rest.checks.update({ owner: OWNER, repo: REPO, check_run_id: 1, ...body } as never));
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ status: 'completed' }, '"conclusion" wasn\'t supplied.'],
      [{ status: 'waiting' }, `For 'properties/status', "waiting" is not a member of ${STATUS_LIST}.`],
      [{ output: { summary: 'job-1: SUCCESS' } }, '"title" wasn\'t supplied.'],
      [{ conclusion: null }, `For 'properties/conclusion', nil is not a member of ${CONCLUSION_LIST}.`],
    ];
    for (const [body, problem] of cases) {
      const message = `Invalid request.\n\n${problem}`;
      const f = await update(body);
      expect(f).toMatchObject({ status: 422, message: `${message} - ${UPDATE_DOCS}` });
      expect(f.data).toEqual({ message, documentation_url: UPDATE_DOCS, status: '422' });
    }
    expect(gh.runs.get(1)).toEqual(before);
    expect(gh.calls.map((c) => c.status)).toEqual([201, 422, 422, 422, 422]);
  });

  it('404 for an unknown check run id and for paths that are not served', async () => {
    const { gh, url, octokit } = await setup();
    const f = await failure(
      octokit.rest.checks.update({ owner: OWNER, repo: REPO, check_run_id: 7, conclusion: 'success' }),
    );
    expect(f).toMatchObject({
      status: 404,
      message: `Not Found - ${UPDATE_DOCS}`,
      data: { message: 'Not Found', documentation_url: UPDATE_DOCS, status: '404' },
    });
    expect(gh.calls[0]).toMatchObject({ method: 'PATCH', route: 'update', id: 7, status: 404 });
    // A run is found only under the repository it was created in.
    await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA });
    const elsewhere = await failure(
      octokit.rest.checks.update({ owner: OWNER, repo: 'other', check_run_id: 1, conclusion: 'success' }),
    );
    expect(elsewhere.status).toBe(404);
    expect(gh.runs.get(1)?.conclusion).toBeNull();

    const get = await fetch(`${url}/repos/${OWNER}/${REPO}/check-runs/1`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
      status: '404',
    });
    expect(get.headers.get('x-accepted-github-permissions')).toBeNull();
    expect(gh.calls[3]).toMatchObject({ method: 'GET', route: null, owner: OWNER, repo: REPO, status: 404 });
    expect(gh.calls.map((c) => c.status)).toEqual([404, 201, 404, 404]);
  });

  it('400 for a body that is not JSON or not an object', async () => {
    const { gh, url } = await setup();
    const post = (body: string) =>
      fetch(`${url}/repos/${OWNER}/${REPO}/check-runs`, {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
        body,
      });
    const notJson = await post('{"name":');
    expect([notJson.status, await notJson.json()]).toEqual([
      400,
      { message: 'Problems parsing JSON', documentation_url: CREATE_DOCS, status: '400' },
    ]);
    const array = await post('[]');
    expect([array.status, await array.json()]).toEqual([
      400,
      { message: 'Body should be a JSON object', documentation_url: CREATE_DOCS, status: '400' },
    ]);
    expect(gh.calls.map((c) => [c.status, c.body])).toEqual([
      [400, '{"name":'],
      [400, []],
    ]);
  });

  it('failWith answers every request (before auth) and @actions/github does not retry it', async () => {
    const { gh, url, octokit } = await setup({ failWith: 500 });
    const f = await failure(
      octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA }),
    );
    expect(f).toMatchObject({
      status: 500,
      message: 'Internal Server Error - https://docs.github.com/rest',
      data: {
        message: 'Internal Server Error',
        documentation_url: 'https://docs.github.com/rest',
        status: '500',
      },
    });
    gh.failWith = 502;
    const wrongToken = getOctokit('ghs_wrong', { baseUrl: url });
    expect(
      (await failure(wrongToken.rest.checks.create({ owner: OWNER, repo: REPO, name: 'n', head_sha: SHA })))
        .status,
    ).toBe(502);
    gh.failWith = undefined;
    expect(
      (await octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA })).data
        .id,
    ).toBe(1);
    expect(gh.calls.map((c) => c.status)).toEqual([500, 502, 201]);
  });

  it('rate limit: x-ratelimit-remaining counts down, then 403 API rate limit exceeded', async () => {
    const { gh, octokit } = await setup({ rateLimit: 2 });
    const create = () =>
      octokit.rest.checks.create({ owner: OWNER, repo: REPO, name: 'ELB jobs', head_sha: SHA });
    expect((await create()).headers['x-ratelimit-remaining']).toBe('1');
    expect((await create()).headers['x-ratelimit-remaining']).toBe('0');
    const f = await failure(create());
    expect(f).toMatchObject({
      status: 403,
      data: {
        message: 'API rate limit exceeded for installation ID 1.',
        documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api',
        status: '403',
      },
    });
    expect([f.headers['x-ratelimit-remaining'], f.headers['x-ratelimit-used']]).toEqual(['0', '2']);
    expect(gh.calls.map((c) => c.status)).toEqual([201, 201, 403]);
  });

  it('stop() closes every connection: the keep-alive one @actions/github keeps and a half-sent request', async () => {
    const { gh, url, octokit } = await setup();
    const res = await octokit.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'ELB jobs',
      head_sha: SHA,
    });
    expect(res.headers.connection).toBe('keep-alive');
    // A client stuck mid-request: server.close() alone would wait for the headers timeout (60 s).
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(`PATCH /repos/${OWNER}/${REPO}/check-runs/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await gh.stop();
    await closed;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(gh.calls).toHaveLength(1);
    standIn = undefined;
  });

  it('GITHUB_API_URL is read once, when @actions/github is imported', async () => {
    const { gh, url } = await setup();
    const saved = process.env.GITHUB_API_URL;
    process.env.GITHUB_API_URL = url;
    try {
      // Already imported in this process: setting the variable now changes nothing.
      const late = getOctokit(TOKEN);
      expect(late.request.endpoint.DEFAULTS.baseUrl).toBe(API_URL_AT_IMPORT);
    } finally {
      if (saved === undefined) delete process.env.GITHUB_API_URL;
      else process.env.GITHUB_API_URL = saved;
    }
    // A process that starts with it set (as the action does on a runner) uses it.
    const script = [
      "import { getOctokit } from '@actions/github';",
      'const octokit = getOctokit(process.env.STANDIN_TOKEN);',
      "const res = await octokit.rest.checks.create({ owner: 'example', repo: 'app', name: 'from env', head_sha: process.env.STANDIN_SHA });",
      'console.log(JSON.stringify({ status: res.status, id: res.data.id, baseUrl: octokit.request.endpoint.DEFAULTS.baseUrl }));',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, GITHUB_API_URL: url, STANDIN_TOKEN: TOKEN, STANDIN_SHA: SHA },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ status: 201, id: 1, baseUrl: url });
    expect(gh.runs.get(1)?.name).toBe('from env');
    expect(gh.calls[0]?.headers['user-agent']).toBe(`octokit-core.js/7.0.8 ${navigator.userAgent}`);
  });
});
