// Drives /api/v2/hooks with the official Auth0 Node SDK, unmodified, and
// prints one JSON object with what each call returned. Run by
// internal/e2e/node_sdk_test.go with TOKENHOOK_DOMAIN, TOKENHOOK_CLIENT_ID,
// TOKENHOOK_CLIENT_SECRET and NODE_EXTRA_CA_CERTS set.
'use strict';
const { ManagementClient } = require('auth0');

const management = new ManagementClient({
  domain: process.env.TOKENHOOK_DOMAIN,
  clientId: process.env.TOKENHOOK_CLIENT_ID,
  clientSecret: process.env.TOKENHOOK_CLIENT_SECRET,
});

const script = `module.exports = function(client, scope, audience, context, cb) {
  var access_token = {};
  access_token['https://example.com/foo'] = context.webtask.secrets.FOO;
  access_token.scope = scope;
  cb(null, access_token);
};`;

// failure keeps what the SDK reports for an error answer.
async function failure(p) {
  try {
    await p;
    return null;
  } catch (e) {
    return { statusCode: e.statusCode, message: e.message };
  }
}

async function main() {
  const out = {};
  const created = await management.hooks.create({ name: 'sdk-hook', script, triggerId: 'credentials-exchange' });
  out.created = { status: created.status, data: created.data };
  const id = created.data.id;
  out.duplicate = await failure(management.hooks.create({ name: 'sdk-hook', script, triggerId: 'credentials-exchange' }));
  out.list = (await management.hooks.getAll()).data;
  out.page = (await management.hooks.getAll({ include_totals: true, per_page: 10, page: 0 })).data;
  out.filtered = (await management.hooks.getAll({ enabled: false, triggerId: 'credentials-exchange' })).data;
  out.got = (await management.hooks.get({ id })).data;
  out.updated = (await management.hooks.update({ id }, { enabled: true, name: 'sdk-hook-renamed' })).data;
  out.addSecrets = (await management.hooks.addSecrets({ id }, { FOO: 'bar', GONE: 'x' })).status;
  out.secretConflict = await failure(management.hooks.addSecrets({ id }, { FOO: 'again' }));
  out.updateSecrets = (await management.hooks.updateSecrets({ id }, { FOO: 'baz' })).status;
  out.updateMissingSecret = await failure(management.hooks.updateSecrets({ id }, { NOPE: 'x' }));
  out.deleteSecrets = (await management.hooks.deleteSecrets({ id }, ['GONE'])).status;
  out.secrets = (await management.hooks.getSecrets({ id })).data;
  out.deleted = (await management.hooks.delete({ id })).status;
  out.notFound = await failure(management.hooks.get({ id }));
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
