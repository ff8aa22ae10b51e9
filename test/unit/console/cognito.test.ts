import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AwsSession,
  authorizeUrl,
  awsSession,
  type CognitoConfig,
  codeChallenge,
  describeCallbackError,
  freshSession,
  logoutUrl,
  parseCallback,
  REFRESH_MARGIN_MS,
  redeemCode,
  SignInError,
} from '../../../console/src/cognito.js';

const CONFIG: CognitoConfig = {
  region: 'eu-west-1',
  apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
  userPoolId: 'eu-west-1_Pool',
  clientId: 'client-1',
  identityPoolId: 'eu-west-1:00000000-0000-4000-8000-000000000000',
  cognitoDomain: 'https://audit.auth.eu-west-1.amazoncognito.com',
  redirectUri: 'https://d111.cloudfront.net/console/',
};

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

interface Sent {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A fetch that records each request and answers from the list, in order. */
function fakeFetch(answers: Array<{ status?: number; body: object }>) {
  const sent: Sent[] = [];
  const fetcher = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: String(url),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body ?? ''),
    });
    const answer = answers.shift();
    if (answer === undefined) throw new TypeError('no answer left');
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
  }) as typeof fetch;
  return { fetcher, sent };
}

const credentialsAnswer = (expiresAtMs: number) => ({
  body: {
    IdentityId: 'eu-west-1:identity',
    Credentials: {
      AccessKeyId: 'ASIA1',
      SecretKey: 'secret',
      SessionToken: 'token',
      Expiration: expiresAtMs / 1000,
    },
  },
});

const session = (overrides: { credentialsExpireAt: number; idTokenExpiresAt: number }): AwsSession => ({
  tokens: { idToken: 'id-1', refreshToken: 'refresh-1', idTokenExpiresAt: overrides.idTokenExpiresAt },
  identityId: 'eu-west-1:identity',
  credentials: { accessKeyId: 'ASIA0', secretAccessKey: 'old', sessionToken: 'old-token' },
  credentialsExpireAt: overrides.credentialsExpireAt,
});

describe('the console sign-in protocol', () => {
  it("derives the S256 challenge as Node's own SHA-256 and base64url do (RFC 7636 section 4.2)", async () => {
    // Prepare
    const verifier = 'dBjftJeZ4CVP-mJ92K9qCx6lRrlPu6gKdJcPaFp_0Kw';

    // Act
    const challenge = await codeChallenge(verifier);

    // Assess
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('asks the user pool domain for a code with PKCE, the state and the console as redirect URI', async () => {
    // Act
    const url = new URL(
      await authorizeUrl(CONFIG, { state: 'the-state', codeVerifier: 'the-verifier', returnTo: '/console/' }),
    );

    // Assess
    expect(`${url.origin}${url.pathname}`).toBe(`${CONFIG.cognitoDomain}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: CONFIG.redirectUri,
      scope: 'openid email profile',
      state: 'the-state',
      code_challenge_method: 'S256',
      code_challenge: await codeChallenge('the-verifier'),
    });
    expect(new URL(logoutUrl(CONFIG)).searchParams.get('logout_uri')).toBe(CONFIG.redirectUri);
  });

  it("reads Cognito's answer on the redirect URI: a code, a refusal, or nothing", () => {
    // Act
    const code = parseCallback('?code=c-1&state=s-1');
    const refusal = parseCallback('?error=access_denied&error_description=User+cancelled&state=s-1');
    const none = parseCallback('?Username=alice');

    // Assess
    expect(code).toEqual({ kind: 'code', code: 'c-1', state: 's-1' });
    expect(refusal).toEqual({
      kind: 'error',
      error: 'access_denied',
      description: 'User cancelled',
      state: 's-1',
    });
    expect(none).toBeUndefined();
    if (refusal?.kind !== 'error') throw new Error('a refusal');
    expect(describeCallbackError(refusal)).toBe(
      'Sign-in was cancelled or refused (access_denied: User cancelled).',
    );
  });

  it('redeems the code with its verifier and the client ID, form-encoded, without a secret', async () => {
    // Prepare
    const exp = Math.floor(NOW / 1000) + 3600;
    const idToken = `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.`;
    const { fetcher, sent } = fakeFetch([
      { body: { id_token: idToken, refresh_token: 'r-1', expires_in: 3600 } },
    ]);

    // Act
    const tokens = await redeemCode(CONFIG, 'c-1', 'v-1', fetcher, NOW);

    // Assess
    expect(tokens).toEqual({ idToken, refreshToken: 'r-1', idTokenExpiresAt: exp * 1000 });
    expect(sent[0]?.url).toBe(`${CONFIG.cognitoDomain}/oauth2/token`);
    expect(sent[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent[0]?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({
      grant_type: 'authorization_code',
      code: 'c-1',
      redirect_uri: CONFIG.redirectUri,
      code_verifier: 'v-1',
      client_id: 'client-1',
    });
  });

  it("asks Cognito Identity for an ID and keys with the user pool's Logins key", async () => {
    // Prepare
    const { fetcher, sent } = fakeFetch([
      { body: { IdentityId: 'eu-west-1:identity' } },
      credentialsAnswer(NOW + 3_600_000),
    ]);
    const tokens = { idToken: 'id-1', refreshToken: 'r-1', idTokenExpiresAt: NOW + 3_600_000 };

    // Act
    const result = await awsSession(CONFIG, tokens, undefined, fetcher);

    // Assess
    const logins = { 'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool': 'id-1' };
    expect(
      sent.map((request) => [request.url, request.headers['x-amz-target'], JSON.parse(request.body)]),
    ).toEqual([
      [
        'https://cognito-identity.eu-west-1.amazonaws.com/',
        'AWSCognitoIdentityService.GetId',
        { IdentityPoolId: CONFIG.identityPoolId, Logins: logins },
      ],
      [
        'https://cognito-identity.eu-west-1.amazonaws.com/',
        'AWSCognitoIdentityService.GetCredentialsForIdentity',
        { IdentityId: 'eu-west-1:identity', Logins: logins },
      ],
    ]);
    expect(sent[0]?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(result.credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    expect(result.credentialsExpireAt).toBe(NOW + 3_600_000);
  });

  it("names the identity pool's refusal by its exception, without the namespace", async () => {
    // Prepare
    const { fetcher } = fakeFetch([
      {
        status: 400,
        body: {
          __type: 'com.amazonaws.cognito.identity#NotAuthorizedException',
          message: 'Invalid login token.',
        },
      },
    ]);
    const tokens = { idToken: 'id-1', refreshToken: 'r-1', idTokenExpiresAt: NOW + 3_600_000 };

    // Act
    const failure = awsSession(CONFIG, tokens, 'eu-west-1:identity', fetcher);

    // Assess
    await expect(failure).rejects.toThrow(
      /^The identity pool refused to give this sign-in AWS credentials \(NotAuthorizedException: Invalid login token\)/,
    );
  });

  it('keeps the session while its keys last beyond the margin', async () => {
    // Prepare
    const { fetcher, sent } = fakeFetch([]);
    const current = session({ credentialsExpireAt: NOW + REFRESH_MARGIN_MS + 1000, idTokenExpiresAt: NOW });

    // Act
    const next = await freshSession(CONFIG, current, fetcher, NOW);

    // Assess
    expect(next).toBe(current);
    expect(sent).toEqual([]);
  });

  it('renews only the keys when they are close to expiry and the ID token is not', async () => {
    // Prepare
    const { fetcher, sent } = fakeFetch([credentialsAnswer(NOW + 3_600_000)]);
    const current = session({ credentialsExpireAt: NOW + 60_000, idTokenExpiresAt: NOW + 3_000_000 });

    // Act
    const next = await freshSession(CONFIG, current, fetcher, NOW);

    // Assess
    expect(sent.map((request) => request.headers['x-amz-target'])).toEqual([
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    expect(next.tokens).toBe(current.tokens);
    expect(next.credentialsExpireAt).toBe(NOW + 3_600_000);
  });

  it('renews the ID token with the refresh token first when it is close to expiry too', async () => {
    // Prepare
    const { fetcher, sent } = fakeFetch([
      { body: { id_token: 'id-2', expires_in: 3600 } },
      credentialsAnswer(NOW + 3_600_000),
    ]);
    const current = session({ credentialsExpireAt: NOW + 60_000, idTokenExpiresAt: NOW + 60_000 });

    // Act
    const next = await freshSession(CONFIG, current, fetcher, NOW);

    // Assess
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      client_id: 'client-1',
    });
    expect(JSON.parse(sent[1]?.body ?? '{}').Logins).toEqual({
      'cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool': 'id-2',
    });
    expect(next.tokens).toEqual({
      idToken: 'id-2',
      refreshToken: 'refresh-1',
      idTokenExpiresAt: NOW + 3_600_000,
    });
  });

  it('ends the session with a reason when Cognito refuses the refresh token', async () => {
    // Prepare
    const { fetcher } = fakeFetch([{ status: 400, body: { error: 'invalid_grant' } }]);
    const current = session({ credentialsExpireAt: NOW, idTokenExpiresAt: NOW });

    // Act
    const failure = freshSession(CONFIG, current, fetcher, NOW);

    // Assess
    await expect(failure).rejects.toEqual(
      new SignInError('expired', 'Your session has ended (invalid_grant). Sign in again to go on.'),
    );
  });
});
