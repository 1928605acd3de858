// Type definitions of what a hook's code can use (compat-spec §3.1): the
// arguments per extensibility point, their fields, and the globals. The
// editor's completion source walks this tree, so the completions always
// match what the server passes.

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

const common: Record<string, Field> = {
  scope: { type: "string[] | undefined", info: "The scopes granted to the application for this API, or undefined when none.", kind: "variable" },
  audience: { type: "string", info: "The API identifier the token is for.", kind: "variable" },
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
  client,
  context,
};

// rootsFor returns the names in scope for a point's hook.
export function rootsFor(triggerId: string): Record<string, Field> {
  if (triggerId === "password-exchange") return { ...common, user };
  return common;
}

export const STARTERS: Record<string, string> = {
  "credentials-exchange": `/**
@param {object} client - information about the client
@param {string} client.name - name of client
@param {string} client.id - client id
@param {string} client.tenant - Auth0 tenant name
@param {object} client.metadata - client metadata
@param {array|undefined} scope - array of strings representing the scope claim or undefined
@param {string} audience - token's audience claim
@param {object} context - additional authorization context
@param {object} context.webtask - webtask context
@param {function} cb - function (error, accessTokenClaims)
*/
module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token.scope = scope;

  // Modify scopes or add extra claims
  // access_token['https://example.com/claim'] = 'bar';
  // access_token.scope.push('extra');

  cb(null, access_token);
};
`,
  "password-exchange": `/**
@param {object} user - the user who is signing in
@param {object} client - information about the client
@param {array|undefined} scope - the scopes granted, or undefined
@param {string} audience - token's audience claim
@param {object} context - additional authorization context
@param {function} cb - function (error, {accessToken, idToken})
*/
module.exports = function(user, client, scope, audience, context, cb) {
  var response = {};
  response.accessToken = { scope: scope };

  // response.accessToken['https://example.com/plan'] = user.app_metadata.plan;

  cb(null, response);
};
`,
};

// DEFAULT_PAYLOADS are what the runner pre-fills (compat-spec §3.6).
const ccPayload = {
  audience: "https://my-tenant.auth0.com/api/v2/",
  client: { id: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", name: "client-name", tenant: "my-tenant", metadata: { plan: "full" } },
  scope: ["read:connections"],
};
export const DEFAULT_PAYLOADS: Record<string, unknown> = {
  "credentials-exchange": ccPayload,
  "password-exchange": {
    ...ccPayload,
    user: {
      id: "abc123", tenant: "my-tenant", username: "user1", email: "user1@foo.com", emailVerified: true,
      user_metadata: { hobby: "surfing" }, app_metadata: { plan: "full" },
    },
  },
};
