// What the dashboard knows about each Actions trigger beyond the server's
// trigger table (GET /api/v2/actions/triggers, which says which triggers
// exist, their version and runtimes): a label, the starter code a new
// Action gets and the default event of the test panel. The one place for
// them in the dashboard.

export interface TriggerUI {
  label: string;
  // What the trigger runs on.
  runsOn: string;
  starter: string;
  defaultEvent: Record<string, unknown>;
}

const client = {
  client_id: "2bDr2mLTDPTHswyyvYx1Ng3RqHQHk7sA",
  name: "My M2M application",
  metadata: { plan: "full" },
};

const request = {
  ip: "13.33.86.47",
  method: "POST",
  hostname: "tokenhook.example.com",
  user_agent: "curl/8.5.0",
  language: "en",
  body: {},
};

export const TRIGGER_UI: Record<string, TriggerUI> = {
  "credentials-exchange": {
    label: "Machine to Machine",
    runsOn: "client-credentials token requests",
    starter: `/**
* Handler that will be called during the execution of a Client Credentials exchange.
*
* @param {Event} event - Details about client credentials grant request.
* @param {CredentialsExchangeAPI} api - Interface whose methods can be used to change the behavior of client credentials grant.
*/
exports.onExecuteCredentialsExchange = async (event, api) => {
};
`,
    defaultEvent: {
      accessToken: { customClaims: {}, scope: ["read:connections"] },
      client,
      request: { ...request, body: { grant_type: "client_credentials", audience: "https://api.example.com/" } },
      resource_server: { identifier: "https://api.example.com/" },
      tenant: { id: "default" },
      transaction: { requested_scopes: ["read:connections"] },
      secrets: {},
    },
  },
  "post-login": {
    label: "Login (password grant)",
    runsOn: "password and password-realm token requests",
    starter: `/**
* Handler that will be called during the execution of a PostLogin flow.
*
* @param {Event} event - Details about the user and the context in which they are logging in.
* @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
*/
exports.onExecutePostLogin = async (event, api) => {
};
`,
    defaultEvent: {
      user: {
        user_id: "auth0|5f7c8ec7c33c6c004bbafe82",
        email: "j+smith@example.com",
        email_verified: true,
        name: "Jane Smith",
        nickname: "j+smith",
        picture: "https://example.com/jane.png",
        username: "jsmith",
        app_metadata: {},
        user_metadata: {},
        identities: [{ provider: "auth0", user_id: "5f7c8ec7c33c6c004bbafe82", connection: "Username-Password-Authentication", isSocial: false }],
        logins_count: 1,
        created_at: "2024-01-01T00:00:00.000Z",
        updated_at: "2024-01-01T00:00:00.000Z",
      },
      client: { client_id: client.client_id, name: "My App", metadata: {} },
      connection: { id: "con_fpe5kj482KO1eOzQ", name: "Username-Password-Authentication", strategy: "auth0", metadata: {} },
      request: { ...request, body: { grant_type: "password", username: "jsmith", scope: "openid profile" }, query: {} },
      transaction: { protocol: "oauth2-password", requested_scopes: ["openid", "profile"], metadata: {} },
      resource_server: { identifier: "https://api.example.com/" },
      authorization: { roles: [] },
      stats: { logins_count: 1 },
      secrets: {},
      tenant: { id: "default" },
    },
  },
};

// triggerLabel names a trigger for people; an unknown one shows its id.
export function triggerLabel(id: string): string {
  return TRIGGER_UI[id]?.label ?? id;
}

// starterCode is what a new Action of that trigger starts with.
export function starterCode(id: string): string {
  return TRIGGER_UI[id]?.starter ?? "";
}

// defaultEvent is the test panel's event until the operator edits it.
export function defaultEvent(id: string): Record<string, unknown> {
  return TRIGGER_UI[id]?.defaultEvent ?? {};
}
