// Drives the server with the current Auth0 Node SDK (auth0@7, the generated
// client), unmodified: the ManagementClient gets its own token by client
// credentials, then every method group a Management API user reaches for
// (clients, resource servers, client grants, connections, users, logs,
// tenant settings, hooks, Actions with versions, bindings, tests and
// executions), its pagers (offset and checkpoint) and its typed errors;
// the Authentication client that v7 ships as auth0/legacy, and
// @auth0/auth0-auth-js that v7's README points to for authentication, get
// tokens by client credentials and password. Prints one JSON object of what
// each call returned. Run by internal/e2e/node_sdk_v7_test.go with TOKENHOOK_DOMAIN,
// TOKENHOOK_CLIENT_ID, TOKENHOOK_CLIENT_SECRET and NODE_EXTRA_CA_CERTS set.
'use strict';
const { ManagementClient, ManagementError, Management } = require('auth0');
const { AuthenticationClient } = require('auth0/legacy');

const domain = process.env.TOKENHOOK_DOMAIN;
const management = new ManagementClient({
  domain,
  clientId: process.env.TOKENHOOK_CLIENT_ID,
  clientSecret: process.env.TOKENHOOK_CLIENT_SECRET,
});

// failure is what the SDK reports for an error answer: the class it threw
// (BadRequestError, NotFoundError, ConflictError... or ManagementError where
// the method declares no class for the status) and the body's errorCode.
async function failure(p) {
  try {
    await p;
    return null;
  } catch (e) {
    if (!(e instanceof ManagementError)) throw e;
    return { error: e.constructor.name, statusCode: e.statusCode, errorCode: e.body && e.body.errorCode };
  }
}

// all walks a pager to its end with for await, as the SDK's README does.
async function all(pager, key) {
  const items = [];
  for await (const item of pager) items.push(item[key]);
  return items;
}

const ceCode = (tag) => `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/v', '${tag}:' + event.secrets.KEY);
};`;
const trigger = { id: 'credentials-exchange', version: 'v2' };

async function main() {
  const out = {};

  // Resource servers.
  const api = await management.resourceServers.create({
    identifier: 'https://orders.example/', name: 'Orders', scopes: [{ value: 'read:orders', description: 'Read' }],
  });
  out.rsDuplicate = await failure(management.resourceServers.create({ identifier: 'https://orders.example/', name: 'Again' }));
  const rsPage = await management.resourceServers.list({ page: 0, per_page: 2, include_totals: true });
  out.rsPage = { count: rsPage.data.length, total: rsPage.response.total, more: rsPage.hasNextPage() };
  out.rsAll = await all(await management.resourceServers.list({ per_page: 1 }), 'identifier');
  out.rsByIdentifier = (await management.resourceServers.list({ identifiers: ['https://orders.example/', 'https://none.example/'] })).data.map((r) => r.name);
  out.rsGet = (await management.resourceServers.get(api.id)).identifier;
  out.rsUpdate = (await management.resourceServers.update(api.id, { name: 'Orders API' })).name;

  // Clients.
  const app = await management.clients.create({
    name: 'sdk-app', app_type: 'non_interactive', grant_types: ['client_credentials', 'password', 'http://auth0.com/oauth/grant-type/password-realm'],
  });
  const id = app.client_id;
  const clientsPage = await management.clients.list({ page: 0, per_page: 1, include_totals: true });
  out.clientsPage = { count: clientsPage.data.length, total: clientsPage.response.total, more: clientsPage.hasNextPage() };
  const next = await clientsPage.getNextPage();
  out.clientsNext = { count: next.data.length, start: next.response.start };
  out.clientsAll = await all(await management.clients.list({ per_page: 1 }), 'name');
  out.clientsM2M = (await management.clients.list({ app_type: 'non_interactive', is_global: false })).data.length;
  out.clientsExternal = (await management.clients.list({ external_client_id: 'cimd-1' })).data.length;
  out.clientsFields = (await management.clients.list({ fields: 'client_id,name', include_fields: true })).data.map((c) => Object.keys(c).sort().join());
  out.clientGet = (await management.clients.get(id, { fields: 'name' }));
  out.clientUpdate = (await management.clients.update(id, { description: 'from the v7 SDK' })).description;
  const rotated = await management.clients.rotateSecret(id);
  out.rotated = rotated.client_secret !== app.client_secret && rotated.client_secret.length > 0;
  out.clientNotFound = await failure(management.clients.get('nonexistent000000000000000000000'));
  out.clientBadBody = await failure(management.clients.create({ name: 'x', app_type: 'nonsense' }));
  try {
    await management.clients.get('nonexistent000000000000000000000');
  } catch (e) {
    out.notFoundClass = { managementError: e instanceof ManagementError, notFoundError: e instanceof Management.NotFoundError };
  }

  // Client grants (checkpoint pagination: from/take, next).
  const grant = await management.clientGrants.create({ client_id: id, audience: 'https://orders.example/', scope: ['read:orders'] });
  out.grantDuplicate = await failure(management.clientGrants.create({ client_id: id, audience: 'https://orders.example/', scope: [] }));
  const grantsPage = await management.clientGrants.list({ take: 1 });
  out.grantsPage = { count: grantsPage.data.length, more: grantsPage.hasNextPage() };
  out.grantsAll = (await all(await management.clientGrants.list({ take: 1 }), 'audience')).sort();
  out.grantsForApp = (await management.clientGrants.list({ client_id: id })).data.map((g) => g.audience);
  out.grantsOfClients = (await management.clientGrants.list({ client_id: id, allow_any_organization: false, subject_type: 'client' })).data.length;
  out.grantsOfUsers = (await management.clientGrants.list({ subject_type: 'user' })).data.length;
  out.grantGet = (await management.clientGrants.get(grant.id)).audience;
  out.grantUpdate = (await management.clientGrants.update(grant.id, { scope: ['read:orders'] })).scope;

  // Connections: the one database connection.
  const conns = await management.connections.list();
  out.connections = conns.data.map((c) => `${c.name}/${c.strategy}`);
  out.connectionsAll = await all(await management.connections.list({ take: 1, strategy: ['auth0', 'google-oauth2'] }), 'name');
  const conn = conns.data[0];
  out.connectionGet = (await management.connections.get(conn.id)).name;
  out.connectionUpdate = (await management.connections.update(conn.id, { options: { disable_signup: false } })).options.disable_signup;
  out.connectionClients = (await management.connections.clients.get(conn.id)).data.some((c) => c.client_id === id);
  out.connectionCreate = await failure(management.connections.create({ name: 'google', strategy: 'google-oauth2' }));

  // Users.
  const user = await management.users.create({ connection: 'Username-Password-Authentication', email: 'ann@example.com', password: 'correct horse battery' });
  out.userDuplicate = await failure(management.users.create({ connection: 'Username-Password-Authentication', email: 'ann@example.com', password: 'correct horse battery' }));
  out.userBadPassword = await failure(management.users.create({ connection: 'Username-Password-Authentication', email: 'bob@example.com', password: 'short' }));
  const usersPage = await management.users.list({ page: 0, per_page: 10, q: 'email:"ann@example.com"', search_engine: 'v3' });
  out.usersPage = { emails: usersPage.data.map((u) => u.email), total: usersPage.response.total };
  await management.users.create({ connection: 'Username-Password-Authentication', email: 'zoe@example.com', password: 'correct horse battery' });
  out.usersSorted = (await management.users.list({ sort: 'email:-1', primary_order: true })).data.map((u) => u.email);
  out.usersByEmail = (await management.users.listUsersByEmail({ email: 'ann@example.com' })).map((u) => u.user_id === user.user_id);
  out.userGet = (await management.users.get(user.user_id)).email;
  out.userUpdate = (await management.users.update(user.user_id, { app_metadata: { plan: 'gold' } })).app_metadata;

  // The Authentication client (auth0/legacy in v7): client credentials and
  // the password grant, whose id_token it validates against https://<domain>/.
  const auth = new AuthenticationClient({ domain, clientId: id, clientSecret: rotated.client_secret });
  const cc = await auth.oauth.clientCredentialsGrant({ audience: 'https://orders.example/' });
  out.clientCredentials = { token_type: cc.data.token_type, scope: cc.data.scope };
  // A grant as Auth0 returns it today: subject_type on every grant,
  // allow_all_scopes granting every scope of its API (one added later too),
  // authorization_details_types stored. Removed after, so no count changes.
  const stock = await management.resourceServers.create({ identifier: 'https://stock.example/', name: 'Stock', scopes: [{ value: 'read:stock' }] });
  const all1 = await management.clientGrants.create({
    client_id: id, audience: 'https://stock.example/', allow_all_scopes: true, authorization_details_types: ['payment'],
  });
  out.grantAllScopes = { subject_type: all1.subject_type, allow_all_scopes: all1.allow_all_scopes, types: all1.authorization_details_types, scope: all1.scope };
  await management.resourceServers.update(stock.id, { scopes: [{ value: 'read:stock' }, { value: 'write:stock' }] });
  out.grantAllScopesToken = (await auth.oauth.clientCredentialsGrant({ audience: 'https://stock.example/' })).data.scope;
  await management.clientGrants.delete(all1.id);
  await management.resourceServers.delete(stock.id);
  const pw = await auth.oauth.passwordGrant({
    username: 'ann@example.com', password: 'correct horse battery', realm: 'Username-Password-Authentication',
    scope: 'openid email', audience: 'https://orders.example/',
  });
  out.password = { id_token: typeof pw.data.id_token === 'string', token_type: pw.data.token_type };
  try {
    await auth.oauth.passwordGrant({ username: 'ann@example.com', password: 'wrong password', realm: 'Username-Password-Authentication' });
  } catch (e) {
    out.passwordWrong = { statusCode: e.statusCode, error: e.error };
  }

  // @auth0/auth0-auth-js (ESM): discovery, then the same grants; it
  // validates the ID token (issuer, audience, signature) and reads /userinfo.
  const { AuthClient } = await import('@auth0/auth0-auth-js');
  const authJs = new AuthClient({ domain, clientId: id, clientSecret: rotated.client_secret });
  const jsCC = await authJs.getTokenByClientCredentials({ audience: 'https://orders.example/' });
  out.authJsClientCredentials = { scope: jsCC.scope, token: typeof jsCC.accessToken === 'string', idToken: jsCC.idToken === undefined };
  const jsPW = await authJs.getTokenByPassword({ username: 'ann@example.com', password: 'correct horse battery', realm: 'Username-Password-Authentication', scope: 'openid email' });
  out.authJsPassword = { email: jsPW.claims.email, sub: jsPW.claims.sub === user.user_id };
  out.authJsUserInfo = (await authJs.getUserInfo({ accessToken: jsPW.accessToken })).email;
  try {
    await authJs.getTokenByPassword({ username: 'ann@example.com', password: 'wrong password' });
  } catch (e) {
    out.authJsWrong = { code: e.code, error: e.cause && e.cause.error };
  }

  // A client given a token instead of credentials.
  const mgmtAuth = new AuthenticationClient({ domain, clientId: process.env.TOKENHOOK_CLIENT_ID, clientSecret: process.env.TOKENHOOK_CLIENT_SECRET });
  const tok = (await mgmtAuth.oauth.clientCredentialsGrant({ audience: `https://${domain}/api/v2/` })).data.access_token;
  out.staticToken = (await new ManagementClient({ domain, token: tok }).clients.get(id)).name;
  out.badToken = await failure(new ManagementClient({ domain, token: 'not-a-token' }).clients.list());
  out.badCredentials = await failure(new ManagementClient({ domain, clientId: id, clientSecret: 'wrong' }).clients.list());

  // Tenant settings.
  out.settingsUpdate = (await management.tenants.settings.update({ friendly_name: 'SDK v7' })).friendly_name;
  out.settingsGet = await management.tenants.settings.get({ fields: 'friendly_name', include_fields: true });

  // Hooks and their secrets.
  const hook = await management.hooks.create({
    name: 'sdk-hook', triggerId: 'credentials-exchange',
    script: 'module.exports = function (client, scope, audience, context, cb) { cb(null, {}); };',
  });
  out.hookDuplicate = await failure(management.hooks.create({ name: 'sdk-hook', triggerId: 'credentials-exchange', script: 'module.exports = function (c, s, a, x, cb) { cb(null, {}); };' }));
  const hooksPage = await management.hooks.list({ triggerId: 'credentials-exchange', include_totals: true });
  out.hooksPage = { names: hooksPage.data.map((h) => h.name), total: hooksPage.response.total };
  out.hookGet = (await management.hooks.get(hook.id)).name;
  out.hookUpdate = (await management.hooks.update(hook.id, { enabled: false, name: 'sdk-hook-2' })).name;
  await management.hooks.secrets.create(hook.id, { FOO: 'secret-value' });
  out.hookSecretConflict = await failure(management.hooks.secrets.create(hook.id, { FOO: 'again' }));
  await management.hooks.secrets.update(hook.id, { FOO: 'new-value' });
  out.hookSecrets = await management.hooks.secrets.get(hook.id);
  await management.hooks.secrets.delete(hook.id, ['FOO']);
  await management.hooks.delete(hook.id);
  out.hookGone = await failure(management.hooks.get(hook.id));

  // Actions.
  out.triggers = (await management.actions.triggers.list()).triggers.map((t) => `${t.id}/${t.version}`).sort();
  const action = await management.actions.create({
    name: 'sdk-action', supported_triggers: [trigger], code: ceCode('one'), runtime: 'node22', secrets: [{ name: 'KEY', value: 'sdk-secret' }],
  });
  const aid = action.id;
  out.actionCreated = { status: action.status, secrets: action.secrets.map((s) => s.name) };
  out.actionDuplicate = await failure(management.actions.create({ name: 'sdk-action', supported_triggers: [trigger], code: ceCode('x') }));
  out.actionBadCode = await failure(management.actions.create({ name: 'sdk-broken', supported_triggers: [trigger], code: 'exports.x = (;' }));
  const actionsPage = await management.actions.list({ triggerId: 'credentials-exchange', page: 0, per_page: 10 });
  out.actionsPage = { names: actionsPage.data.map((a) => a.name), total: actionsPage.response.total, per_page: actionsPage.response.per_page };
  out.actionsAll = await all(await management.actions.list({ per_page: 1 }), 'name');
  out.actionGet = (await management.actions.get(aid)).name;
  const v1 = await management.actions.deploy(aid);
  out.deploy1 = { number: v1.number, deployed: v1.deployed };
  out.actionUpdate = (await management.actions.update(aid, { code: ceCode('two') })).all_changes_deployed;
  out.deploy2 = (await management.actions.deploy(aid)).number;
  const versions = await management.actions.versions.list(aid);
  out.versions = { numbers: versions.data.map((v) => v.number), total: versions.response.total };
  out.versionsAll = await all(await management.actions.versions.list(aid, { per_page: 1 }), 'number');
  out.versionGet = (await management.actions.versions.get(aid, v1.id)).code.includes("'one:'");
  out.rollback = (await management.actions.versions.deploy(aid, v1.id)).number;
  const bound = await management.actions.triggers.bindings.updateMany('credentials-exchange', {
    bindings: [{ ref: { type: 'action_id', value: aid }, display_name: 'SDK v7' }],
  });
  out.bound = bound.bindings.map((b) => b.display_name);
  const bindings = await management.actions.triggers.bindings.list('credentials-exchange');
  out.bindings = { actions: bindings.data.map((b) => b.action.name), total: bindings.response.total };
  const tested = await management.actions.test(aid, { payload: {} });
  out.test = tested.payload.result.accessToken.customClaims['https://example.com/v'];
  out.executionUnknown = await failure(management.actions.executions.get('01HZZZZZZZZZZZZZZZZZZZZZZZ'));

  // A token request runs the bound Action; its tenant log event (written
  // off the request: polled for) names the execution.
  const cc2 = await auth.oauth.clientCredentialsGrant({ audience: 'https://orders.example/' });
  out.tokenClaim = JSON.parse(Buffer.from(cc2.data.access_token.split('.')[1], 'base64url').toString())['https://example.com/v'];
  let event;
  for (let i = 0; i < 200 && !event; i++) {
    // logs.list has no q in v7 (it sends search, which Auth0 rejects):
    // q goes in as an extra query parameter.
    const logs = await management.logs.list({ per_page: 20 }, { queryParams: { q: 'type:seccft' } });
    event = logs.data.find((l) => l.details && l.details.actions);
    if (!event) await new Promise((r) => setTimeout(r, 50));
  }
  const execution = await management.actions.executions.get(event.details.actions.executions[0]);
  out.execution = { trigger_id: execution.trigger_id, status: execution.status, actions: execution.results.map((r) => r.action_name) };
  out.deleteBound = await failure(management.actions.delete(aid));
  await management.actions.delete(aid, { force: true });
  out.actionGone = await failure(management.actions.get(aid));

  // Logs: offset pages, walked to the end, one event, and search.
  const logsPage = await management.logs.list({ page: 0, per_page: 2, include_totals: true });
  out.logsPage = { count: logsPage.data.length, more: logsPage.hasNextPage(), totalAtLeast: logsPage.response.total >= 4 };
  const logIds = await all(await management.logs.list({ per_page: 3 }), 'log_id');
  out.logsAll = { distinct: new Set(logIds).size === logIds.length, atLeast: logIds.length >= 4 };
  out.logGet = (await management.logs.get(logIds[0])).log_id === logIds[0];
  out.logsOldestFirst = (await management.logs.list({ sort: 'date:1', per_page: 1 })).data[0].log_id === logIds[logIds.length - 1];
  out.logsSearch = await failure(management.logs.list({ search: 'type:seccft' }));
  // Checkpoint reads (from/take) are not logs.list options in v7: they go
  // in as extra parameters beside the page ones the SDK always sends, and
  // the answer is Auth0's plain array (page.response).
  const oldest = logIds[logIds.length - 1];
  const after = await management.logs.list({}, { queryParams: { from: oldest, take: 2 } });
  out.logsFrom = { count: after.response.length, first: after.response[0].log_id === logIds[logIds.length - 2] };
  // users.logs.list (GET /users/{id}/logs): ann's own events, her
  // password logins above, walked page by page.
  const userLogs = await management.users.logs.list(user.user_id, { per_page: 1 });
  const userTypes = await all(userLogs, 'type');
  out.userLogs = { types: userTypes.sort(), total: userLogs.response.total, own: userLogs.data.every((l) => l.user_id === user.user_id) };
  // Stats: Auth0's bare number, and one entry per day (ann's two password
  // logins); an email verification ticket is a clear 400, not a 404.
  out.activeUsers = await management.stats.getActiveUsersCount();
  const daily = await management.stats.getDaily({});
  out.daily = { days: daily.length, logins: daily.reduce((n, d) => n + d.logins, 0), signups: daily.reduce((n, d) => n + d.signups, 0) };
  out.verifyEmail = await failure(management.tickets.verifyEmail({ user_id: user.user_id }));

  // Clean up what remains; each answer is a 204 the SDK returns as void.
  await management.users.delete(user.user_id);
  out.userGone = await failure(management.users.get(user.user_id));
  await management.clientGrants.delete(grant.id);
  await management.clients.delete(id);
  await management.resourceServers.delete(api.id);
  out.rsGone = await failure(management.resourceServers.get(api.id));
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n${e.body ? JSON.stringify(e.body) : ''}\n`);
  process.exit(1);
});
