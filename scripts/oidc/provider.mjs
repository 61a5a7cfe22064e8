// A real OpenID provider for the single sign-on tests: panva's certified `oidc-provider`,
// listening on 127.0.0.1:PORT. The tests stand in for the person at the provider: each
// interaction signs in as the authorization request's `login_hint` (an email, verified) and
// grants what was asked, so no login form is driven. Everything else (discovery, keys, PKCE,
// codes good once, ID tokens signed RS256) is the library's own.
//
//   PORT=4000 CLIENTS='[{"client_id":"desk","client_secret":"s","redirect_uris":["http://…/sso/callback"]}]' \
//     node provider.mjs
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS).map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...client,
}));

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'tests', alg: 'RS256', use: 'sig' };
const tamper = process.env.TAMPER || '';

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signing] },
  pkce: { methods: ['S256'], required: () => true },
  findAccount: async (ctx, id) => ({
    accountId: id,
    async claims() {
      return { sub: id, email: id, email_verified: true, name: id.split('@')[0] };
    },
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 600, Grant: 600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['amends-tests-only'] },
});

async function tampered(idToken) {
  if (tamper === 'signature') {
    const [header, payload, signature] = idToken.split('.');
    const flipped = (signature[5] === 'A' ? 'B' : 'A');
    return [header, payload, signature.slice(0, 5) + flipped + signature.slice(6)].join('.');
  }
  const claims = decodeJwt(idToken);
  if (tamper === 'audience') claims.aud = 'another-client';
  // Long expired by any clock, the tests' injected ones included.
  if (tamper === 'expired') { claims.iat = 1577836800; claims.exp = 1577840400; }
  if (tamper === 'nonce') claims.nonce = 'not-the-nonce-the-desk-sent';
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'tests' }).sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  if (tamper && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token) };
  }
});

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.params.login_hint;
  if (!accountId) {
    ctx.status = 400;
    ctx.body = 'the tests sign in as the login_hint; none was given';
    return undefined;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
