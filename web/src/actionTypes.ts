// The typings table of Actions (compat-spec §7): the fields of the `event`
// and `api` objects each trigger passes, which drive the Action editor's
// completion. One entry per trigger; the shared pieces are declared once.
import type { Field } from "./hookTypes";

const str = (info: string): Field => ({ type: "string", info, kind: "property" });
const bool = (info: string): Field => ({ type: "boolean", info, kind: "property" });
const num = (info: string): Field => ({ type: "number", info, kind: "property" });
const obj = (info: string, fields?: Record<string, Field>, type = "object"): Field => ({ type, info, kind: "property", fields });
const fn = (type: string, info: string): Field => ({ type, info, kind: "function" });

// ---- event ----

const client = obj("The application asking for the token.", {
  client_id: str("The application's client_id."),
  name: str("The application's name."),
  metadata: obj("The application's client_metadata.", undefined, "Record<string, string>"),
});

const tenant = obj("The tenant.", { id: str("The tenant's name.") });

const resourceServer = obj("The API the token is for.", { identifier: str("The API's identifier (the audience).") });

const secrets = obj("The Action's secrets (Secrets tab): event.secrets.NAME.", undefined, "Record<string, string>");

const requestFields: Record<string, Field> = {
  ip: str("The caller's IP address."),
  method: str("The HTTP method of the token request."),
  body: obj("The token request's parameters, without client_secret, password and client_assertion.", undefined, "Record<string, string>"),
  hostname: str("The host the request was sent to."),
  user_agent: str("The caller's User-Agent header."),
  language: str("The caller's preferred language, when sent."),
  geoip: obj("Location of the IP address, when known."),
};

const credentialsExchangeEvent = obj("What the credentials-exchange trigger knows about the request.", {
  accessToken: obj("The access token being issued.", {
    customClaims: obj("Custom claims set so far.", undefined, "Record<string, unknown>"),
    scope: obj("The scopes granted so far.", undefined, "string[]"),
  }),
  client,
  request: obj("The token request.", requestFields),
  resource_server: resourceServer,
  tenant,
  transaction: obj("The token transaction.", {
    requested_scopes: obj("The scopes the application asked for.", undefined, "string[]"),
    correlation_id: str("An id correlating the request, when sent."),
    target_scopes: obj("The scopes the token will carry, after earlier Actions.", undefined, "string[]"),
  }),
  secrets,
});

const user = obj("The user logging in.", {
  user_id: str("The user's id."),
  email: str("The user's email."),
  email_verified: bool("Whether the email is verified."),
  name: str("The user's full name."),
  nickname: str("The user's nickname."),
  picture: str("The URL of the user's picture."),
  username: str("The username, when the connection uses one."),
  app_metadata: obj("Data only applications and operators may edit.", undefined, "Record<string, unknown>"),
  user_metadata: obj("Data the user may edit.", undefined, "Record<string, unknown>"),
  identities: obj("The user's identities.", undefined, "object[]"),
  multifactor: obj("The MFA providers the user enrolled with (none here).", undefined, "string[]"),
  enrolledFactors: obj("The factors the user enrolled (none here).", undefined, "object[]"),
  logins_count: num("How many times the user logged in."),
  created_at: str("When the user was created (ISO 8601)."),
  updated_at: str("When the user was last updated (ISO 8601)."),
});

const postLoginEvent = obj("What the post-login trigger knows about the login.", {
  user,
  client,
  connection: obj("The connection the user logged in with.", {
    id: str("The connection's id."),
    name: str("The connection's name."),
    strategy: str('The connection\'s strategy ("auth0").'),
    metadata: obj("The connection's metadata.", undefined, "Record<string, string>"),
  }),
  request: obj("The token request.", { ...requestFields, query: obj("The query string's parameters.") }),
  transaction: obj("The login transaction.", {
    locale: str("The first Accept-Language tag, else \"en\"."),
    protocol: str('"oauth2-password" for the password grant.'),
    requested_scopes: obj("The scopes the application asked for.", undefined, "string[]"),
    acr_values: obj("The authorization request's acr_values (empty in a password exchange).", undefined, "string[]"),
    ui_locales: obj("The authorization request's ui_locales (empty in a password exchange).", undefined, "string[]"),
    metadata: obj("Values set by api.transaction.setMetadata.", undefined, "Record<string, unknown>"),
  }),
  resource_server: resourceServer,
  authorization: obj("The user's authorization.", { roles: obj("The user's roles.", undefined, "string[]") }),
  stats: obj("Login statistics.", { logins_count: num("How many times the user logged in.") }),
  secrets,
  tenant,
});

// ---- api ----

const cache = obj("A small cache shared by this trigger's executions on this server.", {
  get: fn("(key: string) => {value, expires_at} | undefined", "Read a cached value."),
  set: fn("(key: string, value: string, options?: {ttl?, expires_at?}) => {type, record?, code?}", "Cache a string (15 minutes by default, 24 hours at most)."),
  delete: fn("(key: string) => {type, code?}", "Delete a cached value."),
});

const credentialsExchangeApi = obj("What the Action can change about the token.", {
  access: obj("Refuse the token.", {
    deny: fn("(code: 'invalid_scope' | 'invalid_request' | 'server_error', reason?: string) => api", "Refuse the request with that OAuth error and reason."),
  }),
  accessToken: obj("The access token.", {
    setCustomClaim: fn("(name: string, value: unknown) => api", "Add a claim to the access token."),
  }),
  transaction: obj("The scopes the token will carry (intersected with the client grant).", {
    addTargetScope: fn("(scope: string) => api", "Add a scope."),
    removeTargetScope: fn("(scope: string) => api", "Remove a scope."),
    setTargetScopes: fn("(scopes: string[]) => api", "Replace the scopes."),
    clearTargetScopes: fn("() => api", "Remove every scope."),
  }),
  cache,
});

const postLoginApi = obj("What the Action can change about the login.", {
  access: obj("Refuse the login.", {
    deny: fn("(reason: string) => api", "Refuse the login: 403 access_denied with the reason."),
  }),
  accessToken: obj("The access token.", {
    setCustomClaim: fn("(name: string, value: unknown) => api", "Add a claim to the access token."),
    addScope: fn("(scope: string) => api", "Add a scope to the access token."),
    removeScope: fn("(scope: string) => api", "Remove a scope from the access token."),
  }),
  idToken: obj("The ID token.", {
    setCustomClaim: fn("(name: string, value: unknown) => api", "Add a claim to the ID token."),
  }),
  user: obj("Changes to the user, saved when the flow ends.", {
    setAppMetadata: fn("(name: string, value: unknown) => api", "Set a key of app_metadata."),
    setUserMetadata: fn("(name: string, value: unknown) => api", "Set a key of user_metadata."),
  }),
  transaction: obj("The login transaction.", {
    setMetadata: fn("(name: string, value: unknown) => api", "Set a value the next Actions read in event.transaction.metadata."),
  }),
  multifactor: obj("Multi-factor authentication (cannot apply to the password grant).", {
    enable: fn("(provider: string, options?) => api", "Cannot apply to the password grant."),
  }),
  redirect: obj("Redirects (cannot apply to the password grant).", {
    sendUserTo: fn("(url: string, options?) => api", "Cannot apply to the password grant."),
    encodeToken: fn("(options) => string", "Cannot apply to the password grant."),
    validateToken: fn("(options) => object", "Cannot apply to the password grant."),
  }),
  cache,
});

const globals: Record<string, Field> = {
  exports: { type: "object", info: "Export the trigger's function: exports.onExecute… = async (event, api) => {}", kind: "variable" },
  require: { type: "(name: string) => any", info: "Load a dependency (Dependencies tab) or a Node built-in.", kind: "function" },
  console: {
    type: "Console",
    info: "Lines go to the execution's logs.",
    kind: "variable",
    fields: {
      log: { type: "(...args) => void", info: "Log a line.", kind: "function" },
      info: { type: "(...args) => void", info: "Log an info line.", kind: "function" },
      warn: { type: "(...args) => void", info: "Log a warning.", kind: "function" },
      error: { type: "(...args) => void", info: "Log an error.", kind: "function" },
    },
  },
};

// ACTION_TYPES: per trigger id, the event and api objects it passes.
const ACTION_TYPES: Record<string, { event: Field; api: Field }> = {
  "credentials-exchange": { event: credentialsExchangeEvent, api: credentialsExchangeApi },
  "post-login": { event: postLoginEvent, api: postLoginApi },
};

// actionRoots returns the names in scope for an Action of that trigger.
export function actionRoots(trigger: string): Record<string, Field> {
  const t = ACTION_TYPES[trigger];
  const roots: Record<string, Field> = { ...globals };
  roots.event = t ? { ...t.event, kind: "variable" } : { type: "object", info: "The trigger's event.", kind: "variable" };
  roots.api = t ? { ...t.api, kind: "variable" } : { type: "object", info: "The trigger's api object.", kind: "variable" };
  return roots;
}
