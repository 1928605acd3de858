// Drives serve --dev's HTTPS port with the official Auth0 Node SDK,
// unmodified, given only what serve --dev prints (the domain and
// NODE_EXTRA_CA_CERTS) and the management credentials: the Management
// client (clients, grants, connections, hooks, logs with from/take) and
// the Authentication client (client credentials, and the password grant
// whose id_token the SDK validates against https://<domain>/). Prints one
// JSON object. Run by internal/e2e/node_sdk_test.go.
'use strict';
const { ManagementClient, AuthenticationClient } = require('auth0');

const domain = process.env.TOKENHOOK_DOMAIN;
const management = new ManagementClient({
  domain,
  clientId: process.env.TOKENHOOK_CLIENT_ID,
  clientSecret: process.env.TOKENHOOK_CLIENT_SECRET,
});

async function main() {
  const out = {};
  const api = await management.resourceServers.create({
    identifier: 'https://orders.example/', name: 'Orders', scopes: [{ value: 'read:orders', description: 'Read' }],
  });
  const app = await management.clients.create({
    name: 'sdk-app', app_type: 'non_interactive', grant_types: ['client_credentials', 'password', 'http://auth0.com/oauth/grant-type/password-realm'],
  });
  const id = app.data.client_id;
  const secret = app.data.client_secret;
  await management.clientGrants.create({ client_id: id, audience: 'https://orders.example/', scope: ['read:orders'] });
  out.clients = (await management.clients.getAll()).data.map((c) => c.name).sort();
  // auth0@4 sends page/per_page for grants (from/take only for logs).
  const grantsPage = await management.clientGrants.getAll({ page: 0, per_page: 1, include_totals: true });
  out.grantsPage = { count: grantsPage.data.client_grants.length, total: grantsPage.data.total };
  out.grantsForApp = (await management.clientGrants.getAll({ client_id: id })).data.map((g) => g.audience);
  out.connections = (await management.connections.getAll()).data.map((c) => ({ name: c.name, strategy: c.strategy }));
  out.hooks = (await management.hooks.getAll()).data.length;

  const auth = new AuthenticationClient({ domain, clientId: id, clientSecret: secret });
  const cc = await auth.oauth.clientCredentialsGrant({ audience: 'https://orders.example/' });
  out.clientCredentials = { token_type: cc.data.token_type, scope: cc.data.scope };
  await management.users.create({
    connection: 'Username-Password-Authentication', email: 'ann@example.com', password: 'correct horse battery',
  });
  // The SDK validates the id_token: issuer https://<domain>/, audience,
  // signature from https://<domain>/.well-known/jwks.json.
  const pw = await auth.oauth.passwordGrant({
    username: 'ann@example.com', password: 'correct horse battery', realm: 'Username-Password-Authentication',
    scope: 'openid email', audience: 'https://orders.example/',
  });
  out.password = { id_token: !!pw.data.id_token, token_type: pw.data.token_type };

  // Logs: the most recent events, then checkpoint paging from a log id.
  const recent = await management.logs.getAll({ take: 2 });
  out.logsRecent = recent.data.map((l) => l.type);
  const oldest = recent.data[recent.data.length - 1].log_id;
  const after = await management.logs.getAll({ from: oldest, take: 10 });
  out.logsAfter = after.data.map((l) => l.log_id);
  out.oldest = oldest;
  out.newest = recent.data[0].log_id;
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n${e.body ? JSON.stringify(e.body) : ''}\n`);
  process.exit(1);
});
