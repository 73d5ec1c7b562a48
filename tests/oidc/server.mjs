// A real OpenID Connect provider (the `oidc-provider` package) for the authentication tests of
// crates/command and crates/console. It issues JWT access tokens through the client_credentials grant: each
// test "user" is a client whose tokens carry the role and agency claims the test gives it. A client with
// `redirect_uris` is instead a web application signing people in through the authorization-code flow with
// PKCE (the console): the provider's sign-in page lists the accounts of ACCOUNTS_FILE, one button each, and
// the access tokens of the chosen account carry that account's claims.
//
// Environment:
//   PORT          loopback port to listen on (required)
//   ISSUER        the issuer identifier (default http://127.0.0.1:$PORT)
//   KEYS_FILE     private signing keys as a JWKS; generated (one RS256 and one ES256 key) when missing, so a
//                 restart with a new file is a key rotation and a second provider given the same file signs
//                 with the same keys under another issuer
//   CLIENTS_FILE  JSON list of { client_id, client_secret, claims, ttl_seconds?, alg? }, or of
//                 { client_id, client_secret, redirect_uris } for an authorization-code client
//   ACCOUNTS_FILE JSON list of { account_id, claims } who can sign in on the provider's page
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
const accounts = process.env.ACCOUNTS_FILE
  ? JSON.parse(fs.readFileSync(process.env.ACCOUNTS_FILE, 'utf8'))
  : [];
const accountById = new Map(accounts.map((a) => [a.account_id, a]));

function clientMetadata(c) {
  if (c.redirect_uris) {
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['authorization_code'],
      redirect_uris: c.redirect_uris,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    };
  }
  return {
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  };
}

const provider = new Provider(issuer, {
  jwks,
  clients: testClients.map(clientMetadata),
  findAccount: (_ctx, id) => (accountById.has(id)
    ? { accountId: id, claims: () => ({ sub: id }) }
    : undefined),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
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
  extraTokenClaims: (_ctx, token) => (token.accountId
    ? accountById.get(token.accountId)?.claims
    : byId.get(token.clientId)?.claims),
});

const escape = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

// The provider's sign-in page: one button per account; choosing one signs in and consents at once.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    const buttons = accounts.map((a) => `<button name="account" value="${escape(a.account_id)}">${escape(a.account_id)}</button>`).join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1><form method="post" action="/interaction/${escape(details.uid)}">${buttons}</form></main></body></html>`);
    return;
  }
  const body = await new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(new URLSearchParams(data)));
  });
  const accountId = body.get('account');
  if (!accountById.has(accountId)) {
    await provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
    return;
  }
  const { params } = details;
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope || 'openid').split(' ').filter((s) => s === 'openid').join(' ') || 'openid');
  if (params.resource) {
    grant.addResourceScope(params.resource, 'petitions');
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((e) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(e && e.message));
    });
    return;
  }
  callback(req, res);
}).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
