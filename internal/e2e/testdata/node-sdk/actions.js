// Drives /api/v2/actions with the official Auth0 Node SDK, unmodified, and
// prints one JSON object with what each call returned. Run by
// internal/e2e/node_sdk_actions_test.go with TOKENHOOK_DOMAIN,
// TOKENHOOK_CLIENT_ID, TOKENHOOK_CLIENT_SECRET and NODE_EXTRA_CA_CERTS set.
'use strict';
const { ManagementClient, AuthenticationClient } = require('auth0');

const management = new ManagementClient({
  domain: process.env.TOKENHOOK_DOMAIN,
  clientId: process.env.TOKENHOOK_CLIENT_ID,
  clientSecret: process.env.TOKENHOOK_CLIENT_SECRET,
});

const code1 = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/v', 'one:' + event.secrets.KEY);
};`;
const code2 = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/v', 'two:' + event.secrets.KEY);
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
  out.triggers = (await management.actions.getAllTriggers()).data;
  const trigger = { id: 'credentials-exchange', version: 'v2' };
  const created = await management.actions.create({
    name: 'sdk-action', supported_triggers: [trigger], code: code1, runtime: 'node22',
    secrets: [{ name: 'KEY', value: 'sdk-secret' }],
  });
  out.created = { status: created.status, data: created.data };
  const id = created.data.id;
  out.duplicate = await failure(management.actions.create({ name: 'sdk-action', supported_triggers: [trigger], code: code1 }));
  out.badCode = await failure(management.actions.create({
    name: 'sdk-broken', supported_triggers: [trigger], code: 'exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.x(;\n};',
  }));
  out.got = (await management.actions.get({ id })).data;
  out.list = (await management.actions.getAll({ triggerId: 'credentials-exchange', per_page: 10, page: 0 })).data;
  out.deployedBefore = (await management.actions.getAll({ deployed: true })).data;

  const v1 = await management.actions.deploy({ id });
  out.deploy1 = { status: v1.status, data: v1.data };
  out.updated = (await management.actions.update({ id }, { code: code2 })).data;
  const v2 = await management.actions.deploy({ id });
  out.deploy2 = { status: v2.status, data: v2.data };
  out.versions = (await management.actions.getVersions({ actionId: id })).data;
  out.version = (await management.actions.getVersion({ actionId: id, id: v1.data.id })).data;
  const rb = await management.actions.deployVersion({ actionId: id, id: v1.data.id }, null);
  out.rollback = { status: rb.status, data: rb.data };
  out.afterRollback = (await management.actions.get({ id })).data;

  out.bind = (await management.actions.updateTriggerBindings({ triggerId: 'credentials-exchange' }, {
    bindings: [{ ref: { type: 'action_id', value: id }, display_name: 'SDK action' }],
  })).data;
  out.bindings = (await management.actions.getTriggerBindings({ triggerId: 'credentials-exchange' })).data;
  out.test = (await management.actions.test({ id }, { payload: {} })).data;
  out.unknownExecution = await failure(management.actions.getExecution({ id: '01HZZZZZZZZZZZZZZZZZZZZZZZ' }));

  // A token request runs the bound Action (its deployed version, the
  // rolled-back "one"); its tenant log event names the execution.
  await management.resourceServers.create({ identifier: 'https://orders.example/', name: 'Orders', scopes: [{ value: 'read:orders', description: 'Read' }] });
  const app = await management.clients.create({ name: 'sdk-app', app_type: 'non_interactive', grant_types: ['client_credentials'] });
  await management.clientGrants.create({ client_id: app.data.client_id, audience: 'https://orders.example/', scope: ['read:orders'] });
  const auth = new AuthenticationClient({ domain: process.env.TOKENHOOK_DOMAIN, clientId: app.data.client_id, clientSecret: app.data.client_secret });
  const cc = await auth.oauth.clientCredentialsGrant({ audience: 'https://orders.example/' });
  const claims = JSON.parse(Buffer.from(cc.data.access_token.split('.')[1], 'base64url').toString());
  out.tokenClaim = claims['https://example.com/v'];
  // The tenant log is written off the request: poll until the event is there.
  let executionId;
  for (let i = 0; i < 200 && !executionId; i++) {
    const logs = (await management.logs.getAll({ q: 'type:seccft', per_page: 10, page: 0 })).data;
    const ev = logs.find((l) => l.details && l.details.actions);
    if (ev) {
      executionId = ev.details.actions.executions[0];
      out.logId = ev.log_id;
    } else {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  out.execution = (await management.actions.getExecution({ id: executionId })).data;

  out.deleteBound = await failure(management.actions.delete({ id }));
  out.deleted = (await management.actions.delete({ id, force: true })).status;
  out.notFound = await failure(management.actions.get({ id }));
  out.bindingsAfter = (await management.actions.getTriggerBindings({ triggerId: 'credentials-exchange' })).data;
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n${e.body || ''}\n`);
  process.exit(1);
});
