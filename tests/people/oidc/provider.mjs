// A real OpenID Connect provider on 127.0.0.1 for SEND Ready's tests and local demo: the `oidc-provider`
// package (an OpenID Certified implementation) playing Google Workspace and Microsoft Entra ID.
//
//   node tests/people/oidc/provider.mjs CONFIG.json
//
// CONFIG.json names the port (0 for any free one), the clients (each with its secret and redirect
// URIs) and the test accounts: Google's, and each Entra tenant's. It prints one line,
// `ready http://127.0.0.1:PORT`, once it listens.
//
// Google is one issuer at /google. Entra is one issuer per tenant, at /<tenant id>/v2.0, all signing
// with the same keys (as Entra's do), and a multi-tenant endpoint at /organizations/v2.0 whose
// discovery document gives the issuer as https://.../{tenantid}/v2.0, as Entra's does: its sign-in
// page asks which account (the home realm), then hands over to that account's tenant. So a relying
// party must check each token's issuer against the token's own `tid`, as it must with Entra.
//
// For the tests only, /_control/... changes an account's claims (a mailbox renamed) and makes the
// next token response carry an ID token with one claim wrong (another audience, another issuer,
// expired, or signed with a key the provider does not publish), signed with the provider's own key
// unless the fault is the key: what a misbehaving provider or a token swapped in transit would send.

import { readFileSync } from 'node:fs';
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const HOST = '127.0.0.1';
const PASSWORDLESS_NOTE = 'Test accounts have no passwords: choose one and continue.';

const signingKey = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(signingKey.privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };
const publicJwks = { keys: [{ ...(await jose.exportJWK(signingKey.publicKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' }] };
const strangerKey = (await jose.generateKeyPair('RS256')).privateKey;

const initialAccounts = JSON.stringify(config.accounts);
let accounts = JSON.parse(initialAccounts); // { "google": {id: account}, "<tenant id>": {id: account} }
let tokenFault = null;
const codeTenant = new Map();

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(res, title, body, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5">
<p><strong>Test identity provider</strong>: for development and tests only.</p>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

function accountChoices(realms, chosen) {
  const items = [];
  for (const realm of realms) {
    for (const [id, account] of Object.entries(accounts[realm] || {})) {
      const checked = id === chosen || (!chosen && items.length === 0) ? ' checked' : '';
      items.push(`<div><input type="radio" name="account" id="account-${escapeHtml(id)}" value="${escapeHtml(id)}"${checked}>
<label for="account-${escapeHtml(id)}">${escapeHtml(account.claims.name || id)} (${escapeHtml(account.claims.email || id)})</label></div>`);
    }
  }
  return `<fieldset><legend>Account</legend>${items.join('\n')}</fieldset><p>${PASSWORDLESS_NOTE}</p>`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---- the issuers ---------------------------------------------------------------------------------

function makeProvider(base, realm, mountPath) {
  const tenantId = realm === 'google' ? null : realm;
  const provider = new Provider(`${base}${mountPath}`, {
    clients: config.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    jwks: { keys: [signingJwk] },
    // The relying party must send a PKCE challenge, whatever kind of client it is.
    pkce: { required: () => true },
    // Google and Entra put the email claims in the ID token itself.
    conformIdTokenClaims: false,
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      iss: null,
      // Entra puts how the person signed in (`amr`) in every ID token.
      openid: ['sub', 'amr'],
      email: ['email', 'email_verified', 'xms_edov'],
      profile: ['name', 'preferred_username', 'oid', 'tid', 'hd'],
    },
    cookies: {
      keys: ['test-provider-cookie-key'],
      names: { session: `_session_${realm}`, interaction: `_interaction_${realm}`, resume: `_resume_${realm}` },
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    ttl: { IdToken: 3600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    async findAccount(ctx, id) {
      const account = accounts[realm]?.[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const claims = { sub: account.sub || id, ...account.claims };
          if (tenantId) {
            claims.oid ??= account.oid || id;
            claims.tid ??= tenantId;
          }
          return claims;
        },
      };
    },
  });
  provider.proxy = false;
  return { provider, mountPath, realm, handler: provider.callback() };
}

// ---- requests --------------------------------------------------------------------------------------

async function interaction(issuer, req, res, path) {
  const { provider, realm, mountPath } = issuer;
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST' && path.endsWith('/login')) {
    const form = new URLSearchParams(await readBody(req));
    const accountId = form.get('account');
    const account = accounts[realm]?.[accountId];
    if (!account) {
      page(res, 'Choose an account', '<p>That account does not exist here.</p>', 400);
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId, amr: account.amr || ['pwd'], remember: false }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const hint = details.params.login_hint;
  page(
    res,
    realm === 'google' ? 'Sign in with Google (test)' : 'Sign in with Microsoft (test)',
    `<form method="post" action="${mountPath}/interaction/${details.uid}/login">
${accountChoices([realm], hint)}
<button type="submit">Continue</button></form>`,
  );
}

async function tokenResponse(upstream, res) {
  // The token endpoint's answer, passed on as it came unless a fault was asked for.
  const text = await upstream.text();
  let body = text;
  if (upstream.ok && tokenFault) {
    const json = JSON.parse(text);
    json.id_token = await withFault(json.id_token, tokenFault);
    tokenFault = null;
    body = JSON.stringify(json);
  }
  res.writeHead(upstream.status, {
    'content-type': upstream.headers.get('content-type') || 'application/json',
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function withFault(idToken, fault) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = signingKey.privateKey;
  // Another audience, but naming this client as the authorized party: a check of `azp` alone would pass it.
  if (fault === 'audience') Object.assign(claims, { azp: claims.aud, aud: 'another-app' });
  else if (fault === 'issuer') claims.iss = `http://${HOST}:1/not-this-provider`;
  else if (fault === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  else if (fault === 'key') key = strangerKey;
  else throw new Error(`unknown fault ${fault}`);
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-signing-key' }).sign(key);
}

function forward(base, target, req, body) {
  const headers = {};
  for (const name of ['authorization', 'content-type', 'accept']) {
    if (req.headers[name]) headers[name] = req.headers[name];
  }
  return fetch(`${base}${target}`, { method: 'POST', headers, body, redirect: 'manual' });
}

function organizationsDocument(base, tenantDocument) {
  // As Entra's: no `iss` in the authorization response, and no single tenant's sign-out.
  const { authorization_response_iss_parameter_supported: _iss, end_session_endpoint: _end, ...shared } = tenantDocument;
  return {
    ...shared,
    issuer: `${base}/{tenantid}/v2.0`,
    authorization_endpoint: `${base}/organizations/v2.0/authorize`,
    token_endpoint: `${base}/organizations/v2.0/token`,
    jwks_uri: `${base}/organizations/v2.0/keys`,
  };
}

function start() {
  let base;
  let issuers;
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, base);
      const path = url.pathname;
      if (path.startsWith('/_control/')) {
        await control(path, req, res);
        return;
      }
      if (path === '/organizations/v2.0/.well-known/openid-configuration') {
        const first = issuers.find((issuer) => issuer.realm !== 'google');
        const upstream = await fetch(`${base}${first.mountPath}/.well-known/openid-configuration`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(organizationsDocument(base, await upstream.json())));
        return;
      }
      if (path === '/organizations/v2.0/keys') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(publicJwks));
        return;
      }
      if (path === '/organizations/v2.0/authorize') {
        // Home realm discovery: which account, so which tenant.
        const hidden = [...url.searchParams].map(
          ([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
        );
        const tenants = issuers.filter((issuer) => issuer.realm !== 'google').map((issuer) => issuer.realm);
        page(
          res,
          'Sign in with Microsoft (test)',
          `<form method="get" action="/organizations/v2.0/discover">${hidden.join('')}
${accountChoices(tenants, url.searchParams.get('login_hint'))}<button type="submit">Next</button></form>`,
        );
        return;
      }
      if (path === '/organizations/v2.0/discover') {
        const accountId = url.searchParams.get('account');
        const tenant = Object.keys(accounts).find((realm) => realm !== 'google' && accounts[realm][accountId]);
        if (!tenant) {
          page(res, 'Sign in with Microsoft (test)', '<p>No tenant has that account.</p>', 400);
          return;
        }
        const params = new URLSearchParams(url.searchParams);
        params.delete('account');
        params.set('login_hint', accountId);
        res.writeHead(302, { location: `${base}/${tenant}/v2.0/auth?${params}` });
        res.end();
        return;
      }
      if (path === '/organizations/v2.0/token' && req.method === 'POST') {
        const body = await readBody(req);
        const tenant = codeTenant.get(new URLSearchParams(body).get('code'));
        if (!tenant) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }));
          return;
        }
        await tokenResponse(await forward(base, `/${tenant}/v2.0/token`, req, body), res);
        return;
      }
      if (path === '/google/token-endpoint' && req.method === 'POST') {
        await tokenResponse(await forward(base, '/google/token', req, await readBody(req)), res);
        return;
      }
      if (path === '/google/.well-known/openid-configuration') {
        const upstream = await fetch(`${base}/google/.well-known/openid-configuration/upstream`);
        const document = await upstream.json();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...document, token_endpoint: `${base}/google/token-endpoint` }));
        return;
      }
      const issuer = issuers.find((candidate) => path === candidate.mountPath || path.startsWith(`${candidate.mountPath}/`));
      if (!issuer) {
        page(res, 'Not found', '<p>Nothing here.</p>', 404);
        return;
      }
      const inner = path.slice(issuer.mountPath.length) || '/';
      if (inner.startsWith('/interaction/')) {
        await interaction(issuer, req, res, inner);
        return;
      }
      if (inner === '/.well-known/openid-configuration/upstream') {
        req.url = `/.well-known/openid-configuration${url.search}`;
      } else {
        req.url = `${inner}${url.search}`;
      }
      req.originalUrl = `${issuer.mountPath}${req.url}`;
      if (issuer.realm !== 'google') rememberCodes(issuer.realm, res);
      issuer.handler(req, res);
    } catch (error) {
      console.error(error);
      if (!res.headersSent) page(res, 'Error', `<p>${escapeHtml(error.message)}</p>`, 500);
    }
  });

  server.listen(config.port || 0, HOST, () => {
    base = `http://${HOST}:${server.address().port}`;
    issuers = [makeProvider(base, 'google', '/google')];
    for (const realm of Object.keys(accounts)) {
      if (realm !== 'google') issuers.push(makeProvider(base, realm, `/${realm}/v2.0`));
    }
    console.log(`ready ${base}`);
  });
}

function rememberCodes(tenant, res) {
  // The multi-tenant token endpoint sends each code to the tenant that issued it.
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    if (name.toLowerCase() === 'location' && typeof value === 'string' && value.includes('code=')) {
      const code = new URL(value).searchParams.get('code');
      if (code) codeTenant.set(code, tenant);
    }
    return setHeader(name, value);
  };
}

async function control(path, req, res) {
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
  if (path === '/_control/reset') {
    accounts = JSON.parse(initialAccounts);
    tokenFault = null;
  } else if (path === '/_control/account') {
    const account = accounts[body.realm]?.[body.id];
    if (!account) {
      res.writeHead(404);
      res.end();
      return;
    }
    Object.assign(account.claims, body.claims || {});
    if (body.amr) account.amr = body.amr;
  } else if (path === '/_control/token-fault') {
    tokenFault = body.fault || null;
  } else {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(204);
  res.end();
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
start();
