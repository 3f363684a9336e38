// The school's OpenID Connect provider for the tests: oidc-provider (OpenID-certified, from npm), configured
// from the environment by tests/support/oidc.py. People and their claims are read from OIDC_USERS (a JSON
// file the test rewrites); the provider's own development login and consent pages stand in for the campus ones.
import fs from 'node:fs';
import Provider from 'oidc-provider';

const issuer = process.env.OIDC_ISSUER;
const port = Number(process.env.OIDC_PORT);
const users = () => JSON.parse(fs.readFileSync(process.env.OIDC_USERS, 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: process.env.OIDC_REDIRECT_URIS.split(' '),
    post_logout_redirect_uris: process.env.OIDC_POST_LOGOUT_URIS.split(' '),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...(process.env.OIDC_BACKCHANNEL_URI ? {
      backchannel_logout_uri: process.env.OIDC_BACKCHANNEL_URI, backchannel_logout_session_required: true,
    } : {}),
  }],
  claims: { openid: ['sub', 'sid'], profile: ['name', 'employee_number', 'unit_code'] },
  async findAccount(ctx, sub) {
    const person = users()[sub];
    if (!person) return undefined;
    return { accountId: sub, async claims() { return { sub, ...person }; } };
  },
  cookies: { keys: ['edudata-test-oidc-cookie-key'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true } },
  pkce: { required: () => true },
  // The provider refuses outgoing requests to special-use addresses (SSRF guard); the platform under test listens
  // on 127.0.0.1, so its back-channel logout endpoint is fetched without that dispatcher here.
  fetch: (url, { dispatcher, ...options }) => fetch(url, options),
});
provider.proxy = false;
provider.on('backchannel.success', (ctx, client, accountId, sid) => { console.log(`back-channel logout sent for ${accountId} ${sid}`); });
provider.on('backchannel.error', (ctx, err) => { console.log(`back-channel logout failed: ${err.message}`); });
provider.listen(port, '127.0.0.1', () => { console.log(`oidc-provider listening on ${issuer}`); });
