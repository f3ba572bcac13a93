// A real OpenID Connect provider for Keel's tests and `make oidc-dev`: panva/oidc-provider
// (OpenID Certified; https://github.com/panva/node-oidc-provider/blob/main/docs/README.md),
// on http://127.0.0.1:<port> (plain http is fine for an issuer on this machine).
//
// Configuration from the environment:
//   OIDC_PORT     the port (0: any free one; the first line printed is {"issuer": ...})
//   OIDC_CLIENTS  JSON list of oidc-provider client metadata (client_id, client_secret,
//                 redirect_uris, post_logout_redirect_uris)
//   OIDC_USERS    JSON object: account id -> claims ({"email", "email_verified", "groups",
//                 "name"}); the account id is what one types as "login" on the sign-in form
//                 (oidc-provider's development interactions accept any password).
//
// Test controls (only on this test peer, never in a real provider):
//   PUT  /_test/users/<id>  claims of one account (JSON body), e.g. to change its groups
//   PUT  /_test/mode        {"mode": "tamper" | "wrong-audience" | "expired" | "wrong-nonce"
//                           | "normal"}:
//        how the next ID tokens from the token endpoint are spoiled, to prove Keel refuses them
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 0);
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const users = JSON.parse(process.env.OIDC_USERS || '{}');
let mode = 'normal';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'keel-test', alg: 'RS256', use: 'sig' };

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

// Re-signed with the provider's own key, so only the spoiled claim is wrong.
async function spoil(idToken) {
  if (mode === 'tamper') {
    const [head, body, signature] = idToken.split('.');
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    return [head, body, flipped].join('.');
  }
  const claims = jose.decodeJwt(idToken);
  if (mode === 'wrong-audience') claims.aud = 'someone-else';
  if (mode === 'wrong-nonce') claims.nonce = 'from-another-sign-in';
  if (mode === 'expired') {
    claims.iat -= 7200;
    claims.exp = claims.iat + 60;
  }
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })
    .sign(privateKey);
}

let issuer;
const server = http.createServer();
server.listen(port, '127.0.0.1', () => {
  issuer = `http://localhost:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['keel-test-peer-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    findAccount: async (ctx, id) => {
      if (!users[id]) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...users[id] }) };
    },
    // No consent screen: every client here is first-party.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));

  provider.use(async (ctx, next) => {
    if (ctx.path.startsWith('/_test/') && ctx.method === 'PUT') {
      const body = JSON.parse((await readBody(ctx.req)) || '{}');
      if (ctx.path === '/_test/mode') {
        mode = body.mode;
      } else {
        users[decodeURIComponent(ctx.path.slice('/_test/users/'.length))] = body;
      }
      ctx.status = 204;
      return;
    }
    await next();
    if (ctx.path === '/token' && mode !== 'normal' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await spoil(ctx.body.id_token) };
    }
  });

  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});
