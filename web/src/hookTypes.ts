// Type definitions of what a hook's code can use (compat-spec §3.1): the
// fields of each argument a point can pass, and the globals. Which
// arguments a point passes comes from the server's point table
// (GET /api/v2/hooks/extensibility-points), so the completions follow what
// the server passes; an argument this file does not describe still
// completes, without fields.

export interface Field {
  type: string; // shown as the completion's detail
  info: string;
  kind?: "variable" | "property" | "function" | "class" | "keyword";
  fields?: Record<string, Field>;
}

const str = (info: string): Field => ({ type: "string", info, kind: "property" });

const client: Field = {
  type: "object",
  info: "The application asking for the token.",
  kind: "variable",
  fields: {
    id: str("The application's client_id."),
    name: str("The application's name."),
    tenant: str("The tenant's name."),
    metadata: { type: "Record<string, string>", info: "The application's client_metadata (key-value pairs set on the application).", kind: "property" },
  },
};

const context: Field = {
  type: "object",
  info: "The request's context.",
  kind: "variable",
  fields: {
    ip: str("The IP address of the caller of /oauth/token."),
    userAgent: str("The caller's User-Agent header."),
    webtask: {
      type: "object",
      info: "Auth0's webtask context, kept for compatibility.",
      kind: "property",
      fields: {
        secrets: { type: "Record<string, string>", info: "The hook's secrets (Secrets pane): context.webtask.secrets.NAME.", kind: "property" },
        meta: { type: "object", info: "Webtask metadata (empty).", kind: "property" },
      },
    },
  },
};

const user: Field = {
  type: "object",
  info: "The user who signed in with the password grant.",
  kind: "variable",
  fields: {
    id: str("The user's id."),
    tenant: str("The tenant's name."),
    username: str("The username, when the connection uses one."),
    email: str("The user's email."),
    emailVerified: { type: "boolean", info: "Whether the email is verified.", kind: "property" },
    displayName: str("The user's display name."),
    user_metadata: { type: "object", info: "Data the user may edit.", kind: "property" },
    app_metadata: { type: "object", info: "Data only the application and operators may edit (plans, roles...).", kind: "property" },
  },
};

const errorClass = (name: string, what: string): Field => ({
  type: `class ${name} extends Error`,
  info: what,
  kind: "class",
});

const globals: Record<string, Field> = {
  cb: { type: "(err, response) => void", info: "Call once: cb(null, response) to issue, cb(error) to refuse.", kind: "function" },
  InvalidScopeError: errorClass("InvalidScopeError", "cb(new InvalidScopeError(msg)): 400 invalid_scope."),
  InvalidRequestError: errorClass("InvalidRequestError", "cb(new InvalidRequestError(msg)): 400 invalid_request."),
  ServerError: errorClass("ServerError", "cb(new ServerError(msg)): 500 server_error."),
  console: {
    type: "Console",
    info: "Lines go to the hook's live log (Logs pane).",
    kind: "variable",
    fields: {
      log: { type: "(...args) => void", info: "Log a line.", kind: "function" },
      info: { type: "(...args) => void", info: "Log an info line.", kind: "function" },
      warn: { type: "(...args) => void", info: "Log a warning.", kind: "function" },
      error: { type: "(...args) => void", info: "Log an error.", kind: "function" },
    },
  },
  module: { type: "object", info: "module.exports = function (...) {...}", kind: "variable", fields: { exports: { type: "function", info: "The hook's function.", kind: "property" } } },
};

// ARGUMENTS describes the arguments by the names the point table uses.
const ARGUMENTS: Record<string, Field> = {
  client,
  context,
  user,
  scope: { type: "string[] | undefined", info: "The scopes granted to the application for this API, or undefined when none.", kind: "variable" },
  audience: { type: "string", info: "The API identifier the token is for.", kind: "variable" },
};

// rootsFor returns the names in scope for a hook whose point passes args.
export function rootsFor(args: string[]): Record<string, Field> {
  const roots: Record<string, Field> = { ...globals };
  for (const a of args) {
    roots[a] = ARGUMENTS[a] ?? { type: "unknown", info: `An argument of this extensibility point.`, kind: "variable" };
  }
  return roots;
}
