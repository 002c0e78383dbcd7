/** Shapes shared by the modules. The API's own field names are kept (snake_case). */

export interface JobEntity {
  resource_id?: string;
  resource_type?: string;
}

/** Fields common to MainJob and SubJob, as the API returns them. Every field may be missing or empty. */
export interface JobBase {
  status?: string;
  begin_time?: string;
  end_time?: string;
  job_id?: string;
  job_type?: string;
  error_code?: string;
  error_msg?: string;
  project_id?: string;
  resource_id?: string;
}

export interface SubJob extends JobBase {
  entities?: JobEntity[];
}

export interface MainJob extends JobBase {
  sub_jobs?: SubJob[];
}

export interface PageInfo {
  previous_marker?: string;
  next_marker?: string;
  current_count?: number;
}

export interface ListJobsResponse {
  jobs: MainJob[];
  page_info?: PageInfo;
  request_id?: string;
}

/** Query parameters of `GET /v3/{project_id}/elb/jobs`, all optional. */
export interface ListJobsQuery {
  limit?: number;
  marker?: string;
  page_reverse?: boolean;
  job_id?: string;
  job_type?: string;
  status?: string;
  error_code?: string;
  resource_id?: string;
  begin_time?: string;
}

/** Exactly one credential kind is used, in this order: auth_token, idp_id, AK/SK. */
export type Credentials =
  | { kind: 'token'; authToken: string }
  | { kind: 'oidc'; idpId: string; audience?: string }
  | { kind: 'aksk'; accessKey: string; secretKey: string; securityToken?: string };

export type StatusName = 'FAIL' | 'ROLLBACK_FAIL' | 'CANCEL' | 'SUCCESS' | 'COMPLETE';

/** Everything the action needs, parsed and validated before the first request. Durations in ms. */
export interface Config {
  region?: string;
  projectId?: string;
  endpoint: string;
  iamEndpoint: string;
  credentials: Credentials;
  /** Non-empty in job_id mode; empty in resource_id mode. */
  jobIds: string[];
  resourceId?: string;
  jobType?: string;
  /** Normalised to the API's UTC `yyyy-MM-ddTHH:mm:ss`. */
  beginTime?: string;
  timeoutMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  requestTimeoutMs: number;
  failOn: StatusName[];
  failFast: boolean;
  summary: boolean;
  checkName?: string;
  githubToken?: string;
}

export type Result = 'success' | 'failure' | 'timeout' | 'cancelled' | 'error';

/** Time, injectable so the waiter's tests run a long job in milliseconds. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A job waited for, as the waiter tracks it. */
export interface TrackedJob {
  /** Undefined in resource mode until a job is found. */
  jobId?: string;
  /** Last known state, as the API returned it (its documented fields). */
  job?: MainJob;
  /** Poll number at which a terminal status was first seen. */
  finishedAtPoll?: number;
}

/** A status seen changing (or seen for the first time) at a poll. */
export interface StatusChange {
  jobId: string;
  /** Set when the change is a sub-job's. */
  subJob?: SubJob;
  from?: string;
  to: string;
  job: MainJob;
  elapsedMs: number;
}

/** The wait while it goes on: what the check run shows between polls. */
export interface Progress {
  /** In the order asked for. */
  tracked: TrackedJob[];
  elapsedMs: number;
}

interface OutcomeBase extends Progress {
  /** The last job seen reaching a terminal status. */
  lastFinished?: MainJob;
  /** With `error`: what ended the wait; with `timeout`: the last failed poll, if any. */
  error?: Error;
  polls: number;
  /** Answers throttled by the API gateway (HTTP 429) during the wait. */
  throttled?: number;
}

/** How a wait ended. A failure always names its failing job; other endings may have seen one (fail_fast false). */
export type WaitOutcome = OutcomeBase &
  (
    | { result: 'failure' /** The first job seen ending in a `fail_on` status. */; failing: MainJob }
    | { result: Exclude<Result, 'failure'>; failing?: MainJob }
  );
