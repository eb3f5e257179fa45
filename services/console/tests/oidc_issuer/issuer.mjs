// A real OpenID Connect issuer for the console's tests: panva's oidc-provider (OpenID certified), in its own
// process, with its development login and consent pages. Authorisation code + PKCE (S256 required), JWT
// access tokens for the guanwu APIs (audience AUDIENCE) carrying the users' enterprises, RP-initiated logout.
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, AUDIENCE, and ACCOUNTS,
// a JSON object {sub: {name, tenants: {tenant: [roles]}}}. A user of one enterprise gets `tenant` and `roles`
// claims, a user of several a `tenants` claim (tenant -> roles), as guanwu.platform.auth reads them.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const audience = process.env.AUDIENCE ?? 'guanwu';
const accounts = JSON.parse(process.env.ACCOUNTS ?? '{}');
const resource = 'urn:guanwu:api';

function enterpriseClaims(sub) {
  const tenants = accounts[sub]?.tenants ?? {};
  const names = Object.keys(tenants);
  if (names.length === 1) return { tenant: names[0], roles: tenants[names[0]] };
  return { tenants };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  cookies: { keys: ['guanwu-test-issuer-cookie-key'] },
  claims: { openid: ['sub'], profile: ['name'] },
  scopes: ['openid', 'profile', 'guanwu'],
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'guanwu',
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (ctx, token) => (token.kind === 'AccessToken' ? enterpriseClaims(token.accountId) : undefined),
  async findAccount(ctx, sub) {
    if (!accounts[sub]) return undefined;
    return { accountId: sub, claims: async () => ({ sub, name: accounts[sub].name ?? sub }) };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc issuer ${issuer} ready`);
});
