// Signs a user up with the official Auth0 Node SDK (auth0@4, unmodified):
// AuthenticationClient.database.signUp, then the same email again (refused)
// and database.changePassword (no email sender here). Prints what it got as
// JSON for internal/e2e/node_sdk_test.go.
const { AuthenticationClient } = require('auth0');

const auth = new AuthenticationClient({
  domain: process.env.TOKENHOOK_DOMAIN,
  clientId: process.env.TOKENHOOK_CLIENT_ID,
});

const failure = (e) => ({ name: e.name, statusCode: e.statusCode, error: e.error, description: e.error_description });

(async () => {
  const user = {
    email: 'sdk@example.com', password: 'correct horse battery', connection: 'Username-Password-Authentication',
    given_name: 'Sdk', family_name: 'User', user_metadata: { source: 'node-auth0' },
  };
  const out = {};
  const created = await auth.database.signUp(user);
  out.created = { status: created.status, data: created.data };
  try {
    await auth.database.signUp(user);
  } catch (e) {
    out.duplicate = failure(e);
  }
  try {
    await auth.database.changePassword({ email: user.email, connection: user.connection });
  } catch (e) {
    out.changePassword = failure(e);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
