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
