// make bench's side-by-side peer: node-oidc-provider issuing the same
// client_credentials tokens as tokenhook's bench scenario (RS256 JWT
// access tokens, 2048-bit key, 24 h), with extraTokenClaims as its
// equivalent of the bench's simple hook. cmd/tokenhook-bench/oidc_peer.go
// installs this directory with `npm ci` into a temporary directory and
// starts it; it prints one line, "listening <port>", once it serves.
//
// Configuration comes from the environment: PEER_PORT (on 127.0.0.1),
// PEER_CLIENT_ID, PEER_CLIENT_SECRET, PEER_AUDIENCE (the API: requests name
// it as RFC 8707's `resource`, where tokenhook's name it `audience`) and
// PEER_SCOPE.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const { PEER_PORT: port, PEER_CLIENT_ID: clientId, PEER_CLIENT_SECRET: clientSecret, PEER_AUDIENCE: audience, PEER_SCOPE: scope } = process.env;
if (!port || !clientId || !clientSecret || !audience || !scope) {
  console.error('peer: set PEER_PORT, PEER_CLIENT_ID, PEER_CLIENT_SECRET, PEER_AUDIENCE and PEER_SCOPE');
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${port}/`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope,
    plan: 'gold',
  }],
  extraClientMetadata: { properties: ['plan'] },
  jwks: { keys: [jwk] },
  cookies: { keys: ['tokenhook-bench-oidc-peer-cookie-key'] },
  routes: { token: '/oauth/token' },
  scopes: scope.split(' '),
  ttl: { ClientCredentials: 86400 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== audience) throw new Provider.errors.InvalidTarget();
        return { scope, audience, accessTokenTTL: 86400, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  // The bench's simple hook: the client's plan (or "free") and its tenant
  // as namespaced claims, computed per token.
  extraTokenClaims: (ctx, token) => {
    const client = ctx.oidc.client;
    return {
      'https://example.com/plan': client.plan || 'free',
      'https://example.com/tenant': 'default',
    };
  },
});

await new Promise((resolve, reject) => {
  const server = provider.listen(Number(port), '127.0.0.1', resolve);
  server.on('error', reject);
  server.keepAliveTimeout = 65000;
});
console.log(`listening ${port}`);
