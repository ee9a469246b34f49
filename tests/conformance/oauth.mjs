// A small OAuth 2.1 client for the conformance suite's auth scenarios, plugged into McpPool through
// the per-server `tokenProvider`: the pool does no OAuth itself, it asks the provider for a bearer
// token (first with no argument, before its first request; then with the parsed WWW-Authenticate
// challenge of a 401) and retries once with the new token.
//
// What it does, per the MCP authorization spec:
//  - protected resource metadata (RFC 9728): the challenge's resource_metadata, else the
//    path-based well-known URL, else the root one; its `resource` must cover the server URL;
//    none at all = a 2025-03-26 server, whose origin is its own authorization server;
//  - authorization server metadata (RFC 8414 / OpenID Connect discovery, path insertion for
//    issuers with a path); none = the 2025-03-26 default endpoints /authorize, /token, /register;
//  - the client: pre-registered credentials (MCP_CONFORMANCE_CONTEXT), else a client ID metadata
//    document URL when the server supports it, else dynamic client registration (RFC 7591);
//  - authorization code + PKCE S256 with state and the resource parameter (RFC 8707); the suite's
//    authorization endpoint approves at once and redirects, so the code is read off its Location;
//  - token endpoint authentication: client_secret_basic, client_secret_post or none, whichever
//    the server supports;
//  - scope: the challenge's scope, else the resource's scopes_supported, else none;
//  - issuer checks (RFC 8414 §3.3, RFC 9207): the metadata's issuer must be the issuer it was
//    looked up for; the redirect's iss, required when the server advertises it and checked
//    whenever present, must equal that issuer by simple string comparison; a new authorization
//    server (the resource moved) gets a new registration;
//  - a refresh token, when there is one, before a new authorization; at most 3 authorizations;
//  - machine-to-machine grants of the extension scenarios, chosen by the credentials the suite
//    passes in MCP_CONFORMANCE_CONTEXT: client_credentials with client_secret_basic or with a
//    private_key_jwt client assertion (RFC 7523), a workload JWT as a jwt-bearer grant, and the
//    enterprise-managed flow (token exchange at the IdP for an ID-JAG, then jwt-bearer at the AS);
//  - DPoP (RFC 9449, SEP-1932) when given a key of createDpopKey(): a proof at the token endpoint
//    (retried once with the server's nonce on use_dpop_nonce); the same key makes the proofs the
//    pool sends with every MCP request (its `dpop: { proof }` option).
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";

// The client ID metadata document URL the suite's CIMD scenario expects (it never fetches it).
const CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json";
// Never visited: the code is read from the authorization endpoint's redirect.
const REDIRECT_URI = "http://127.0.0.1/callback";
const MAX_AUTHORIZATIONS = 3;

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** A compact JWS (ES256/ES384/RS256...) signed with a PEM private key. */
function signJwt(claims, pem, alg = "ES256") {
  const key = createPrivateKey(pem);
  const header = b64url(JSON.stringify({ alg, typ: "JWT" }));
  const payload = b64url(JSON.stringify(claims));
  const hash = { ES256: "sha256", ES384: "sha384", ES512: "sha512", RS256: "sha256", PS256: "sha256" }[alg] ?? "sha256";
  const opts = alg.startsWith("ES") ? { key, dsaEncoding: "ieee-p1363" } : alg.startsWith("PS") ? { key, padding: 6 } : key;
  return `${header}.${payload}.${b64url(sign(hash, Buffer.from(`${header}.${payload}`), opts))}`;
}

/**
 * A DPoP key (ES256, made once per client) and its proof maker: `proof({ method, url,
 * accessToken?, nonce? })` returns a fresh proof JWT (new jti) for one HTTP request; with an
 * access token it carries `ath`, with a nonce `nonce`.
 */
export function createDpopKey() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
  const header = b64url(JSON.stringify({ typ: "dpop+jwt", alg: "ES256", jwk: { kty, crv, x, y } }));
  return {
    proof({ method, url, accessToken, nonce }) {
      const u = new URL(url);
      const claims = { jti: randomUUID(), htm: method, htu: `${u.origin}${u.pathname}`, iat: Math.floor(Date.now() / 1000) };
      if (accessToken) claims.ath = b64url(createHash("sha256").update(accessToken, "ascii").digest());
      if (nonce) claims.nonce = nonce;
      const input = `${header}.${b64url(JSON.stringify(claims))}`;
      return `${input}.${b64url(sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }))}`;
    },
  };
}

async function getJson(url, log) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  log("GET", url, "->", res.status);
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  return res.json();
}

/** RFC 9728 §3.1 candidates: the challenge's URL, then path-based, then root. */
function prmCandidates(serverUrl, challengeUrl) {
  const u = new URL(serverUrl);
  const out = [];
  if (challengeUrl) out.push(challengeUrl);
  const path = u.pathname.replace(/\/$/, "");
  if (path) out.push(`${u.origin}/.well-known/oauth-protected-resource${path}`);
  out.push(`${u.origin}/.well-known/oauth-protected-resource`);
  return [...new Set(out)];
}

/** RFC 8414 §3.1 + OpenID Connect discovery, with path insertion for issuers with a path. */
function asMetadataCandidates(issuer) {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, "");
  if (!path) {
    return [`${u.origin}/.well-known/oauth-authorization-server`, `${u.origin}/.well-known/openid-configuration`];
  }
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** Does the PRM `resource` cover the server URL (same origin, a path prefix)? */
function resourceCovers(resource, serverUrl) {
  try {
    const r = new URL(resource);
    const s = new URL(serverUrl);
    if (r.origin !== s.origin) return false;
    const rp = r.pathname.endsWith("/") ? r.pathname : `${r.pathname}/`;
    const sp = s.pathname.endsWith("/") ? s.pathname : `${s.pathname}/`;
    return sp.startsWith(rp);
  } catch {
    return false;
  }
}

function chooseAuthMethod(supported, hasSecret) {
  const methods = supported ?? ["client_secret_basic"]; // RFC 8414 default
  if (hasSecret && methods.includes("client_secret_basic")) return "client_secret_basic";
  if (hasSecret && methods.includes("client_secret_post")) return "client_secret_post";
  if (methods.includes("none")) return "none";
  return hasSecret ? "client_secret_basic" : "none";
}

/**
 * @param {{ serverUrl: string, scenario?: string, context?: any, dpop?: ReturnType<typeof createDpopKey>, log?: (...a: any[]) => void }} o
 * @returns {(challenge?: { error?: string, scope?: string, resourceMetadata?: string }) => Promise<string>}
 */
export function createOAuthTokenProvider({ serverUrl, scenario = "", context = {}, dpop, log = () => {} }) {
  let discovered; // { resource, asMeta, scopesSupported }
  let client; // { client_id, client_secret, method }
  let tokens; // { access_token, refresh_token }
  let authorizations = 0;
  let grantedScope; // the scope of the last authorization, for step-up unions
  let asNonce; // the authorization server's last DPoP-Nonce

  async function discover(challenge) {
    let prm;
    for (const url of prmCandidates(serverUrl, challenge?.resourceMetadata)) {
      prm = await getJson(url, log);
      if (prm) break;
    }
    let issuer;
    let resource;
    if (prm) {
      if (typeof prm.resource !== "string" || !resourceCovers(prm.resource, serverUrl)) {
        throw new Error(`protected resource metadata names resource ${prm.resource}, not ${serverUrl}`);
      }
      resource = prm.resource;
      issuer = prm.authorization_servers?.[0];
      if (!issuer) throw new Error("protected resource metadata lists no authorization server");
    } else {
      issuer = new URL(serverUrl).origin; // 2025-03-26: the MCP server's origin is the authorization server
    }
    let asMeta;
    for (const url of asMetadataCandidates(issuer)) {
      asMeta = await getJson(url, log);
      if (asMeta) break;
    }
    if (asMeta && asMeta.issuer !== issuer) {
      throw new Error(`authorization server metadata names issuer ${asMeta.issuer}, not ${issuer}`);
    }
    if (!asMeta) {
      if (prm) throw new Error(`no authorization server metadata for ${issuer}`);
      const origin = new URL(serverUrl).origin; // 2025-03-26 default endpoints
      asMeta = {
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
      };
    } else if (asMeta.code_challenge_methods_supported && !asMeta.code_challenge_methods_supported.includes("S256")) {
      throw new Error("the authorization server does not support PKCE S256");
    }
    return { resource, issuer, asMeta, scopesSupported: prm?.scopes_supported };
  }

  async function ensureClient({ asMeta, issuer }) {
    if (client?.issuer === issuer) return client;
    if (client) log("the authorization server changed to", issuer, "- registering again");
    client = undefined;
    const supported = asMeta.token_endpoint_auth_methods_supported;
    if (context.client_id) {
      const hasSecret = Boolean(context.client_secret);
      client = { client_id: context.client_id, client_secret: context.client_secret, method: chooseAuthMethod(supported, hasSecret) };
    } else if (asMeta.client_id_metadata_document_supported === true) {
      client = { client_id: CLIENT_METADATA_URL, method: "none" };
    } else if (asMeta.registration_endpoint) {
      const wanted = chooseAuthMethod(supported, true);
      const res = await fetch(asMeta.registration_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          client_name: "mcp-edge-pool-conformance",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          token_endpoint_auth_method: wanted,
          application_type: "native",
        }),
      });
      log("POST", asMeta.registration_endpoint, "->", res.status);
      if (!res.ok) throw new Error(`dynamic client registration failed: HTTP ${res.status} ${await res.text()}`);
      const info = await res.json();
      const method = info.token_endpoint_auth_method ?? chooseAuthMethod(supported, Boolean(info.client_secret));
      client = { client_id: info.client_id, client_secret: info.client_secret, method };
    } else {
      throw new Error("no client credentials: no pre-registration, no CIMD support, no registration endpoint");
    }
    client.issuer = issuer;
    return client;
  }

  async function tokenRequest(asMeta, params) {
    const body = new URLSearchParams(params);
    const headers = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    if (client.method === "client_secret_basic") {
      const id = encodeURIComponent(client.client_id);
      const secret = encodeURIComponent(client.client_secret ?? "");
      headers.Authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
    } else {
      body.set("client_id", client.client_id);
      if (client.method === "client_secret_post") body.set("client_secret", client.client_secret ?? "");
    }
    let res;
    let nonce = asNonce;
    for (let attempt = 0; ; attempt++) {
      if (dpop) headers.DPoP = dpop.proof({ method: "POST", url: asMeta.token_endpoint, nonce });
      res = await fetch(asMeta.token_endpoint, { method: "POST", headers, body });
      log("POST", asMeta.token_endpoint, `(${params.grant_type}) ->`, res.status);
      if (dpop && res.headers.get("dpop-nonce")) asNonce = res.headers.get("dpop-nonce");
      if (!dpop || attempt > 0 || res.status !== 400 || !asNonce || asNonce === nonce) break;
      const error = await res.clone().json().catch(() => ({}));
      if (error.error !== "use_dpop_nonce") break;
      await res.body?.cancel();
      nonce = asNonce; // RFC 9449 §8: once more, with the server's nonce
    }
    if (!res.ok) throw new Error(`token request failed: HTTP ${res.status} ${await res.text()}`);
    const json = await res.json();
    if (typeof json.access_token !== "string") throw new Error("the token response has no access_token");
    return json;
  }

  /** The grants without a user: which one is decided by the credentials the suite handed over. */
  async function machineGrant() {
    const { asMeta, resource } = discovered;
    const withResource = (params) => (resource ? { ...params, resource } : params);
    if (context.private_key_pem) {
      // client_credentials, authenticated by a private_key_jwt assertion whose audience is the issuer.
      client = { client_id: context.client_id, method: "private_key_jwt" };
      const now = Math.floor(Date.now() / 1000);
      const assertion = signJwt(
        { iss: context.client_id, sub: context.client_id, aud: asMeta.issuer ?? asMeta.token_endpoint, iat: now, exp: now + 300, jti: randomUUID() },
        context.private_key_pem,
        context.signing_algorithm ?? "ES256",
      );
      return tokenRequest(asMeta, withResource({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      }));
    }
    if (context.idp_token_endpoint) {
      // Enterprise-managed authorization: ID token -> ID-JAG at the IdP, ID-JAG -> access token at the AS.
      if (!(asMeta.grant_types_supported ?? []).includes(JWT_BEARER)) throw new Error("the AS does not support jwt-bearer");
      const res = await fetch(context.idp_token_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          requested_token_type: "urn:ietf:params:oauth:token-type:id-jag",
          audience: asMeta.issuer,
          ...(resource ? { resource } : {}),
          subject_token: context.idp_id_token,
          subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
          client_id: context.idp_client_id,
        }),
      });
      log("POST", context.idp_token_endpoint, "(token-exchange) ->", res.status);
      if (!res.ok) throw new Error(`token exchange failed: HTTP ${res.status} ${await res.text()}`);
      const idJag = (await res.json()).access_token;
      client = { client_id: context.client_id, client_secret: context.client_secret, method: "client_secret_basic" };
      return tokenRequest(asMeta, { grant_type: JWT_BEARER, assertion: idJag });
    }
    if (context.valid_jwt) {
      // Workload identity federation: the workload's JWT is the grant; a public client.
      client = { client_id: context.client_id, method: "none" };
      return tokenRequest(asMeta, withResource({ grant_type: JWT_BEARER, assertion: context.valid_jwt }));
    }
    // client_credentials with a client secret.
    client = { client_id: context.client_id, client_secret: context.client_secret, method: chooseAuthMethod(asMeta.token_endpoint_auth_methods_supported, true) };
    return tokenRequest(asMeta, withResource({ grant_type: "client_credentials" }));
  }

  async function authorize(challenge) {
    if (++authorizations > MAX_AUTHORIZATIONS) throw new Error(`gave up after ${MAX_AUTHORIZATIONS} authorizations`);
    discovered = await discover(challenge);
    const { asMeta, resource } = discovered;
    // The extension scenarios without a user; the suite passes their credentials in the context.
    const machine = /^auth\/(client-credentials-|wif-jwt-bearer|enterprise-managed-authorization)/.test(scenario);
    if (machine) {
      tokens = await machineGrant();
      return tokens.access_token;
    }
    await ensureClient(discovered);
    const wanted = challenge?.scope || discovered.scopesSupported?.join(" ") || undefined;
    // Re-authorizing (step-up): ask for what was granted before plus what is asked now (SEP-2350).
    const scope = wanted && [...new Set([...(grantedScope ?? "").split(" "), ...wanted.split(" ")].filter(Boolean))].join(" ");
    grantedScope = scope || grantedScope;

    const verifier = b64url(randomBytes(32));
    const state = b64url(randomBytes(16));
    const url = new URL(asMeta.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", client.client_id);
    url.searchParams.set("redirect_uri", REDIRECT_URI);
    url.searchParams.set("code_challenge", b64url(createHash("sha256").update(verifier).digest()));
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("state", state);
    if (scope) url.searchParams.set("scope", scope);
    if (resource) url.searchParams.set("resource", resource);
    const res = await fetch(url, { redirect: "manual" });
    log("GET", asMeta.authorization_endpoint, "->", res.status);
    await res.body?.cancel();
    const location = res.headers.get("location");
    if (!location) throw new Error(`the authorization endpoint did not redirect (HTTP ${res.status})`);
    const back = new URL(location, url);
    if (back.searchParams.get("error")) throw new Error(`authorization denied: ${back.searchParams.get("error")}`);
    if (back.searchParams.get("state") !== state) throw new Error("the authorization response's state does not match");
    const iss = back.searchParams.get("iss");
    if (asMeta.issuer !== undefined) {
      if (iss === null && asMeta.authorization_response_iss_parameter_supported === true) {
        throw new Error("the authorization response has no iss, though the server advertises it");
      }
      if (iss !== null && iss !== asMeta.issuer) throw new Error(`the authorization response's iss ${iss} is not ${asMeta.issuer}`);
    }
    const code = back.searchParams.get("code");
    if (!code) throw new Error("the authorization response has no code");

    const params = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    if (resource) params.resource = resource;
    tokens = await tokenRequest(asMeta, params);
    return tokens.access_token;
  }

  async function refresh() {
    const params = { grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    if (discovered.resource) params.resource = discovered.resource;
    const next = await tokenRequest(discovered.asMeta, params);
    tokens = { refresh_token: tokens.refresh_token, ...next };
    return tokens.access_token;
  }

  return async (challenge) => {
    log("tokenProvider", challenge ? JSON.stringify(challenge) : "(up front)");
    // Up front there is nothing to go on: no token yet; the server's 401 says where to get one.
    if (!challenge && !tokens) return null;
    // A 401 for an expired token may be answered by a refresh; a scope or metadata change may not.
    if (challenge && tokens?.refresh_token && !challenge.scope && !challenge.resourceMetadata) {
      try {
        return await refresh();
      } catch (e) {
        log("refresh failed:", e.message);
      }
    }
    return authorize(challenge);
  };
}
