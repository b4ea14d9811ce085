// openid-client as a relying party of fedgate: `node rp.mjs start|finish` with JSON on stdin.
// start:  discovery, then an authorization URL with PKCE (S256), state and nonce.
// finish: the code grant from the callback URL (state, iss, nonce, ID token checked by
//         openid-client), then UserInfo; prints what the test asserts on.
import * as client from "openid-client";

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
}));

const config = await client.discovery(new URL(input.issuer), input.client_id, input.client_secret);

if (process.argv[2] === "start") {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  console.log(JSON.stringify({ url: url.href, verifier, state, nonce }));
} else {
  const tokens = await client.authorizationCodeGrant(config, new URL(input.callback), {
    pkceCodeVerifier: input.verifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(JSON.stringify({
    scope: tokens.scope,
    token_type: tokens.token_type,
    access_token: tokens.access_token,
    claims,
    userinfo: info,
  }));
}
