// A real OpenID Connect provider (the `oidc-provider` package) for the authentication tests of
// crates/command. It issues JWT access tokens through the client_credentials grant: each test "user" is a
// client whose tokens carry the role and agency claims the test gives it.
//
// Environment:
//   PORT          loopback port to listen on (required)
//   ISSUER        the issuer identifier (default http://127.0.0.1:$PORT)
//   KEYS_FILE     private signing keys as a JWKS; generated (one RS256 and one ES256 key) when missing, so a
//                 restart with a new file is a key rotation and a second provider given the same file signs
//                 with the same keys under another issuer
//   CLIENTS_FILE  JSON list of { client_id, client_secret, claims, ttl_seconds?, alg? }
//
// Prints `ready <issuer>` on stdout once it listens.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('PORT must be a port number');
  process.exit(2);
}
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;

function loadOrCreateKeys(path) {
  if (path && fs.existsSync(path)) {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  }
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const keys = {
    keys: [
      { ...rsa, alg: 'RS256', use: 'sig', kid: `rsa-${crypto.randomUUID()}` },
      { ...ec, alg: 'ES256', use: 'sig', kid: `ec-${crypto.randomUUID()}` },
    ],
  };
  if (path) {
    fs.writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  }
  return keys;
}

const jwks = loadOrCreateKeys(process.env.KEYS_FILE);
const testClients = process.env.CLIENTS_FILE
  ? JSON.parse(fs.readFileSync(process.env.CLIENTS_FILE, 'utf8'))
  : [];
const byId = new Map(testClients.map((c) => [c.client_id, c]));

const provider = new Provider(issuer, {
  jwks,
  clients: testClients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator, client) => {
        const c = byId.get(client.clientId) || {};
        return {
          scope: 'petitions',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: c.ttl_seconds || 600,
          jwt: { sign: { alg: c.alg || 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: (_ctx, token) => byId.get(token.clientId)?.claims,
});

http.createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
