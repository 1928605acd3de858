// One fetch wrapper for the Management API and the dashboard's endpoints.
// The session cookie authenticates; the CSRF token read from
// /dashboard/api/session goes on every request that changes state.

let csrfToken = "";
let onSignedOut: () => void = () => {};

export function setCSRF(token: string) {
  csrfToken = token;
}
export function whenSignedOut(fn: () => void) {
  onSignedOut = fn;
}

export class ApiError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// messageOf reads the Management API's {"message"}, the dashboard's same
// shape, or an OAuth {"error_description"}.
function messageOf(status: number, body: unknown): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.message === "string") return b.message;
    if (typeof b.error_description === "string") return b.error_description;
  }
  return `Request failed (${status})`;
}

export async function request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith("/dashboard/api/login")) onSignedOut();
    throw new ApiError(res.status, messageOf(res.status, data), data);
  }
  return data as T;
}

export const api = {
  get: <T>(p: string) => request<T>("GET", "/api/v2" + p),
  post: <T>(p: string, b?: unknown) => request<T>("POST", "/api/v2" + p, b ?? {}),
  patch: <T>(p: string, b: unknown) => request<T>("PATCH", "/api/v2" + p, b),
  put: <T>(p: string, b?: unknown) => request<T>("PUT", "/api/v2" + p, b),
  del: <T>(p: string, b?: unknown) => request<T>("DELETE", "/api/v2" + p, b),
};

// Shapes of the Management API (compat-spec §4), as far as the pages use them.
export interface Hook {
  id: string;
  name: string;
  script: string;
  enabled: boolean;
  triggerId: string;
  dependencies: Record<string, string>;
  // Beyond Auth0: the runtime chosen at save, the versions npm installed
  // and whether the dependency tree is installed on this server.
  runtime?: "embedded" | "node";
  installed?: Record<string, string>;
  install?: { status: "ready" | "installing" | "failed" | "missing"; error?: string };
}
export interface Client {
  client_id: string;
  client_secret?: string;
  name: string;
  description?: string;
  app_type?: string;
  grant_types?: string[];
  client_metadata?: Record<string, string>;
  global?: boolean;
}
export interface Scope {
  value: string;
  description?: string;
}
export interface ResourceServer {
  id: string;
  name: string;
  identifier: string;
  scopes?: Scope[];
  token_lifetime?: number;
  is_system?: boolean;
}
export interface ClientGrant {
  id: string;
  client_id: string;
  audience: string;
  scope: string[];
  allow_all_scopes?: boolean; // every scope of the API, later ones included
}
export interface SigningKey {
  kid: string;
  current?: boolean;
  next?: boolean;
  previous?: boolean;
  revoked?: boolean;
  fingerprint?: string;
  thumbprint?: string;
  current_since?: string;
  current_until?: string;
  revoked_at?: string;
}
export interface LogEvent {
  log_id?: string;
  _id?: string;
  date: string;
  type: string;
  description?: string;
  client_id?: string;
  client_name?: string;
  ip?: string;
  user_agent?: string;
  hook?: unknown;
  details?: unknown;
}
export interface User {
  user_id: string;
  email: string;
  email_verified?: boolean;
  username?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  blocked?: boolean;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
  created_at?: string;
  last_login?: string;
  logins_count?: number;
}
export interface Connection {
  id: string;
  name: string;
  options?: { disable_signup?: boolean };
}
export interface SessionInfo {
  email: string;
  operator_id: string;
  csrf_token: string;
  expires_at: string;
  tenant: string;
}

// HookPoint is one row of the server's extensibility-point table
// (GET /api/v2/hooks/extensibility-points): the dashboard reads the points,
// their labels, arguments, starter code and runner payloads from there
// rather than keeping its own copy.
export interface HookPoint {
  id: string;
  label: string;
  arguments: string[];
  sync: boolean;
  actions_trigger?: string;
  starter_code: string;
  default_payload: unknown;
}

let points: Promise<HookPoint[]> | null = null;

// hookPoints fetches the table once per page load; a failed fetch is not
// kept, so the next page that asks tries again.
// listHooks reads every hook: GET /hooks lists Auth0's trigger ids only
// (as Auth0 did, for Auth0's tools), password-exchange hooks are read by
// asking for that trigger.
export async function listHooks(): Promise<Hook[]> {
  const [auth0, exchange] = await Promise.all([
    api.get<Hook[]>("/hooks?per_page=100"),
    api.get<Hook[]>("/hooks?triggerId=password-exchange&per_page=100"),
  ]);
  return [...auth0, ...exchange];
}

export function hookPoints(): Promise<HookPoint[]> {
  if (!points) {
    points = api.get<HookPoint[]>("/hooks/extensibility-points");
    points.catch(() => { points = null; });
  }
  return points;
}

// RunReport is the runner's answer (POST /hooks/{id}/run).
export interface RunReport {
  result: Record<string, unknown> | null;
  logs: { time: string; level: string; message: string }[];
  duration_ms: number;
  error: { status: number; error: string; error_description: string } | null;
}

// HookLogLine is one console line of a hook (GET /hooks/{id}/logs and the
// live stream).
export interface HookLogLine {
  time: string;
  hook_name?: string;
  request_id?: string;
  level: string;
  message: string;
}

// RUNNER_REQUEST_ID is the request id the server's runner gives its
// executions (internal/hooks/test_runner.go); token requests carry their own.
export const RUNNER_REQUEST_ID = "runner";

// TryTokenResult is the dashboard's try-token answer: the token endpoint's
// status and body as an application would see them.
export interface TryTokenResult {
  status: number;
  response: Record<string, unknown>;
}

// Hook names as the API validates them (compat-spec §3.3).
export const HOOK_NAME = /^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

// Actions (compat-spec §7): the Management API's shapes, as Auth0 documents
// them, as far as the pages use them.
export interface ActionTriggerRef {
  id: string;
  version: string;
}
export interface ActionDependency {
  name: string;
  version: string;
  registry_url?: string;
}
// Secrets are write-only: the API answers names and times, never values.
export interface ActionSecretInfo {
  name: string;
  updated_at?: string;
}
export interface ActionBuildError {
  id?: string;
  msg: string;
  url?: string;
}
export type ActionStatus = "pending" | "building" | "built" | "failed";
export interface ActionVersion {
  id: string;
  action_id: string;
  number: number;
  code: string;
  dependencies: ActionDependency[];
  runtime: string;
  secrets: ActionSecretInfo[];
  status: ActionStatus;
  deployed: boolean;
  errors?: ActionBuildError[];
  supported_triggers?: ActionTriggerRef[];
  built_at?: string;
  created_at: string;
  updated_at: string;
}
export interface Action {
  id: string;
  name: string;
  supported_triggers: ActionTriggerRef[];
  code: string;
  dependencies: ActionDependency[];
  runtime: string;
  secrets: ActionSecretInfo[];
  deployed_version?: ActionVersion | null;
  all_changes_deployed: boolean;
  status: ActionStatus;
  // The draft's build errors (Auth0 reports them on versions; the server
  // may add them to the draft too, under either name).
  errors?: ActionBuildError[];
  build_error?: string;
  built_at?: string;
  created_at: string;
  updated_at: string;
}
export interface ActionList {
  total: number;
  page: number;
  per_page: number;
  actions: Action[];
}
export interface ActionTriggerInfo {
  id: string;
  version: string;
  status?: string;
  runtimes?: string[];
  default_runtime?: string;
  binding_policy?: string;
  // tokenhook's trigger table beyond Auth0's fields.
  label?: string;
  runs_on?: string;
  starter_code?: string;
  default_event?: Record<string, unknown>;
}
export interface ActionBinding {
  id: string;
  trigger_id: string;
  display_name: string;
  action: Action;
  created_at?: string;
  updated_at?: string;
}
export interface BindingList {
  total?: number;
  page?: number;
  per_page?: number;
  bindings: ActionBinding[];
}

// listActions reads every Action, page by page (100 per tenant at most).
export async function listActions(): Promise<Action[]> {
  const out: Action[] = [];
  for (let page = 0; page < 20; page++) {
    const r = await api.get<ActionList>(`/actions/actions?per_page=50&page=${page}`);
    out.push(...r.actions);
    if (r.actions.length < 50 || out.length >= r.total) break;
  }
  return out;
}

let actionTriggers: Promise<ActionTriggerInfo[]> | null = null;
let loadedTriggers: ActionTriggerInfo[] = [];

// loadedActionTriggers is the trigger table once listActionTriggers has
// read it (empty before).
export function loadedActionTriggers(): ActionTriggerInfo[] {
  return loadedTriggers;
}

// listActionTriggers fetches the server's trigger table once per page load.
export function listActionTriggers(): Promise<ActionTriggerInfo[]> {
  if (!actionTriggers) {
    actionTriggers = api.get<{ triggers: ActionTriggerInfo[] }>("/actions/triggers").then((r) => {
      loadedTriggers = r.triggers;
      return r.triggers;
    });
    actionTriggers.catch(() => { actionTriggers = null; });
  }
  return actionTriggers;
}

// listBindings reads a trigger's bindings in execution order.
export async function listBindings(trigger: string): Promise<ActionBinding[]> {
  const r = await api.get<BindingList>(`/actions/triggers/${encodeURIComponent(trigger)}/bindings?per_page=50`);
  return r.bindings;
}

// buildError is why the draft's build failed, in whichever field the
// server reports it.
export function buildError(a: { errors?: ActionBuildError[]; build_error?: string }): string {
  if (a.build_error) return a.build_error;
  return (a.errors ?? []).map((e) => e.msg).filter(Boolean).join("\n");
}

// Action names: Auth0 accepts any non-empty name up to this length.
export const ACTION_NAME_MAX = 255;
