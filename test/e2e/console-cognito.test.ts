import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CognitoConfig } from '../../console/src/cognito.js';
import { PROJECT_ROOT } from '../../local/emulator.js';
import { type LocalCredentials, type LocalHandle, startLocal } from '../../local/runner.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * The console as it runs in AWS (docs/console.md, "Sign-in"), in Chromium against local mode: config.json carries
 * the Cognito keys, and Cognito's endpoints (the hosted UI's /oauth2/authorize and /logout, /oauth2/token,
 * /oauth2/revoke, Cognito Identity's GetId and GetCredentialsForIdentity) are played by request interception, each
 * checking what the console sends as the service would (PKCE S256, the state, the Logins map). The identity pool's
 * "temporary credentials" are local mode's reader pair with a session token, which local mode's SigV4 verifier
 * requires on every call signed with that key.
 */

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SCREENSHOTS = join(PROJECT_ROOT, 'docs', 'console');
const DEADLINE_MS = 30_000;

const COGNITO_DOMAIN = 'https://opentrail-test.auth.us-east-1.amazoncognito.com';
const IDENTITY_ENDPOINT = 'https://cognito-identity.us-east-1.amazonaws.com/';
const USER_POOL_ID = 'us-east-1_TestPool1';
const CLIENT_ID = 'console-client-id';
const IDENTITY_POOL_ID = 'us-east-1:00000000-0000-4000-8000-000000000000';
const IDENTITY_ID = 'us-east-1:11111111-1111-4111-8111-111111111111';

/** The identity pool's role, as local mode knows it: the reader's key, usable only with this session token. */
const SESSION_CREDENTIALS: LocalCredentials = {
  accessKeyId: 'ASIACONSOLEREADER',
  secretAccessKey: 'console-reader-secret',
  sessionToken: 'console-session-token',
};

/** What CloudFront sends in AWS (lib/constructs/console-site.ts), with this test's Cognito domain. */
const AWS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  `connect-src 'self' ${COGNITO_DOMAIN} https://cognito-idp.us-east-1.amazonaws.com ${IDENTITY_ENDPOINT.slice(0, -1)}`,
  "frame-ancestors 'none'",
].join('; ');

const base64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url');

/** An unsigned JWT of the claims (the console reads, never verifies, ID tokens: the identity pool does). */
const jwt = (claims: object): string =>
  `${base64url(JSON.stringify({ alg: 'none' }))}.${base64url(JSON.stringify(claims))}.`;

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'content-type, x-amz-target, x-amz-user-agent',
  'access-control-allow-methods': 'POST',
};

/**
 * Sends the browser on as Cognito's 302 would. A page that navigates rather than a 302: Playwright does not route
 * the request a fulfilled redirect leads to, and the console's page must get CloudFront's CSP from openConsole.
 */
const redirect = (route: Route, location: string): Promise<void> =>
  route.fulfill({
    contentType: 'text/html',
    body: `<meta http-equiv="refresh" content="0;url=${location.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`,
  });

/** Cognito as the console meets it, with what it was asked. */
class FakeCognito {
  /** How the hosted UI answers the next /oauth2/authorize: a code, a code under another state, or a refusal. */
  authorizeAnswer: 'code' | 'tampered-state' | 'access_denied' = 'code';
  /** Seconds the next ID tokens and GetCredentialsForIdentity answers last (AWS: an hour each). */
  idTokenLifetimes: number[] = [];
  credentialLifetimes: number[] = [];
  refuseCredentials = false;
  readonly tokenRequests: URLSearchParams[] = [];
  readonly identityCalls: Array<{ target: string; input: Record<string, unknown> }> = [];
  readonly revoked: string[] = [];
  readonly loggedOut: URLSearchParams[] = [];
  private challenge = '';
  private idTokens = 0;
  currentIdToken = '';

  constructor(readonly redirectUri: string) {}

  async install(context: BrowserContext): Promise<void> {
    await context.route(`${COGNITO_DOMAIN}/**`, (route) => this.hostedDomain(route));
    await context.route(IDENTITY_ENDPOINT, (route) => this.identity(route));
  }

  private issueIdToken(): string {
    this.idTokens += 1;
    this.currentIdToken = jwt({
      sub: 'investigator-1',
      email: 'ines@example.com',
      'cognito:username': 'ines',
      token_use: 'id',
      n: this.idTokens,
      exp: Math.floor(Date.now() / 1000) + (this.idTokenLifetimes.shift() ?? 3600),
    });
    return this.currentIdToken;
  }

  private async hostedDomain(route: Route): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    if (url.pathname === '/oauth2/authorize') {
      const query = url.searchParams;
      expect(Object.fromEntries(query)).toMatchObject({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: this.redirectUri,
        code_challenge_method: 'S256',
      });
      this.challenge = query.get('code_challenge') ?? '';
      const state = query.get('state') ?? '';
      const answer: Record<string, string> =
        this.authorizeAnswer === 'access_denied'
          ? { error: 'access_denied', error_description: 'The user did not consent', state }
          : { code: 'the-code', state: this.authorizeAnswer === 'tampered-state' ? `${state}x` : state };
      await redirect(route, `${this.redirectUri}?${new URLSearchParams(answer).toString()}`);
      return;
    }
    if (url.pathname === '/oauth2/token') {
      const form = new URLSearchParams(request.postData() ?? '');
      this.tokenRequests.push(form);
      const grant = form.get('grant_type');
      const verifier = form.get('code_verifier') ?? '';
      const codeOk =
        grant === 'authorization_code' &&
        form.get('code') === 'the-code' &&
        form.get('client_id') === CLIENT_ID &&
        form.get('redirect_uri') === this.redirectUri &&
        base64url(createHash('sha256').update(verifier).digest()) === this.challenge;
      const refreshOk =
        grant === 'refresh_token' &&
        form.get('refresh_token') === 'refresh-1' &&
        form.get('client_id') === CLIENT_ID;
      if (!codeOk && !refreshOk) {
        await route.fulfill({ status: 400, headers: CORS, json: { error: 'invalid_grant' } });
        return;
      }
      await route.fulfill({
        headers: CORS,
        json: {
          id_token: this.issueIdToken(),
          access_token: jwt({ token_use: 'access' }),
          ...(codeOk ? { refresh_token: 'refresh-1' } : {}),
          token_type: 'Bearer',
          expires_in: 3600,
        },
      });
      return;
    }
    if (url.pathname === '/oauth2/revoke') {
      const form = new URLSearchParams(request.postData() ?? '');
      if (form.get('client_id') === CLIENT_ID) this.revoked.push(form.get('token') ?? '');
      await route.fulfill({ status: 200, headers: CORS, body: '' });
      return;
    }
    if (url.pathname === '/logout') {
      this.loggedOut.push(url.searchParams);
      await redirect(route, url.searchParams.get('logout_uri') ?? '');
      return;
    }
    await route.fulfill({ status: 404, body: 'not a Cognito endpoint' });
  }

  private async identity(route: Route): Promise<void> {
    const request = route.request();
    if (request.method() === 'OPTIONS') {
      await route.fulfill({ status: 200, headers: CORS });
      return;
    }
    const target = (await request.headerValue('x-amz-target')) ?? '';
    const input = JSON.parse(request.postData() ?? '{}') as Record<string, unknown>;
    this.identityCalls.push({ target, input });
    const logins = input.Logins as Record<string, string> | undefined;
    const loginOk = logins?.[`cognito-idp.us-east-1.amazonaws.com/${USER_POOL_ID}`] === this.currentIdToken;
    const contentType = (await request.headerValue('content-type')) ?? '';
    const refuse = (type: string, message: string) =>
      route.fulfill({ status: 400, headers: CORS, json: { __type: type, message } });
    if (!loginOk || contentType !== 'application/x-amz-json-1.1') {
      await refuse('NotAuthorizedException', 'Invalid login token.');
      return;
    }
    if (target === 'AWSCognitoIdentityService.GetId' && input.IdentityPoolId === IDENTITY_POOL_ID) {
      await route.fulfill({ headers: CORS, json: { IdentityId: IDENTITY_ID } });
      return;
    }
    if (
      target === 'AWSCognitoIdentityService.GetCredentialsForIdentity' &&
      input.IdentityId === IDENTITY_ID
    ) {
      if (this.refuseCredentials) {
        await refuse(
          'NotAuthorizedException',
          'Token is not from a supported provider of this identity pool.',
        );
        return;
      }
      const lifetime = this.credentialLifetimes.shift() ?? 3600;
      await route.fulfill({
        headers: CORS,
        json: {
          IdentityId: IDENTITY_ID,
          Credentials: {
            AccessKeyId: SESSION_CREDENTIALS.accessKeyId,
            SecretKey: SESSION_CREDENTIALS.secretAccessKey,
            SessionToken: SESSION_CREDENTIALS.sessionToken,
            Expiration: Date.now() / 1000 + lifetime,
          },
        },
      });
      return;
    }
    await refuse('InvalidParameterException', 'Unexpected call.');
  }
}

describe.skipIf(CHROMIUM === undefined)('the console behind Cognito sign-in, in Chromium', () => {
  let local: LocalHandle;
  let browser: Browser;
  let config: CognitoConfig;
  let cognito: FakeCognito;
  const runId = `cognito${Date.now()}`;
  const user = `${runId}-alice`;

  /** A tab of the console in AWS: config.json with the Cognito keys, pages with CloudFront's CSP, Cognito faked. */
  const openConsole = async (path: string): Promise<Page> => {
    const context = await browser.newContext({
      baseURL: local.apiUrl,
      viewport: { width: 1280, height: 800 },
    });
    context.setDefaultTimeout(DEADLINE_MS);
    await context.route(`${local.apiUrl}/console/**`, async (route) => {
      const request = route.request();
      if (new URL(request.url()).pathname === '/console/config.json') {
        await route.fulfill({ json: config });
        return;
      }
      if (request.resourceType() !== 'document') {
        await route.continue();
        return;
      }
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'content-security-policy': AWS_CSP },
      });
    });
    await cognito.install(context);
    const page = await context.newPage();
    await page.goto(path);
    return page;
  };

  const signIn = async (page: Page): Promise<void> => {
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };

  /** What the tab keeps in sessionStorage: the sign-in in progress and the session (an expression: no DOM types here). */
  const stored = (page: Page): Promise<{ signin: string | null; session: string | null }> =>
    page.evaluate(
      "({ signin: sessionStorage.getItem('opentrail.signin'), session: sessionStorage.getItem('opentrail.session') })",
    );

  beforeAll(async () => {
    // The reader pair carries a session token: a call signed with its key must send exactly that token.
    local = await startLocal({ readerCredentials: SESSION_CREDENTIALS });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    await mkdir(SCREENSHOTS, { recursive: true });
    const events = ['DeleteOrder', 'CreateOrder'].map((eventName, i) => ({
      eventSource: 'orders.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: user },
      resources: [{ ARN: `arn:aws:orders:us-east-1:123456789012:order/c-${i}`, type: 'Order' }],
    }));
    await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({ events }),
      credentials: local.credentials,
      region: local.region,
    });
    config = {
      region: local.region,
      apiUrl: local.apiUrl,
      userPoolId: USER_POOL_ID,
      clientId: CLIENT_ID,
      identityPoolId: IDENTITY_POOL_ID,
      cognitoDomain: COGNITO_DOMAIN,
      redirectUri: new URL('/console/', local.apiUrl).href,
    };
  });

  beforeEach(() => {
    cognito = new FakeCognito(config.redirectUri);
  });

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
  });

  it('signs in with PKCE, signs lookups with the identity pool keys and returns to the deep link', async () => {
    // Prepare
    const deepLink = `/console/?Username=${user}`;
    const page = await openConsole(deepLink);
    await page.getByRole('heading', { name: 'Sign in to look up events' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    const signedCalls: Array<Record<string, string>> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/events') signedCalls.push(request.headers());
    });

    // Act
    await signIn(page);
    const rows = page.locator('table.events tbody tr');
    await rows.nth(1).waitFor();

    // Assess
    expect(await rows.count()).toBe(2);
    expect(new URL(page.url()).search).toBe(`?Username=${user}`);
    expect(await page.getByText('ines@example.com').count()).toBe(1);
    expect(cognito.tokenRequests.map((form) => form.get('grant_type'))).toEqual(['authorization_code']);
    expect(cognito.identityCalls.map((call) => call.target)).toEqual([
      'AWSCognitoIdentityService.GetId',
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    expect(signedCalls.length).toBeGreaterThan(0);
    for (const headers of signedCalls) {
      expect(headers.authorization).toContain(`Credential=${SESSION_CREDENTIALS.accessKeyId}/`);
      expect(headers['x-amz-security-token']).toBe(SESSION_CREDENTIALS.sessionToken);
    }
    const storage = await stored(page);
    expect(storage.signin).toBeNull();
    expect(storage.session).not.toBeNull();
    await page.screenshot({ path: join(SCREENSHOTS, 'signed-in.png') });
  });

  it('renews the ID token and the keys with the refresh token before the keys expire', async () => {
    // Prepare: the first ID token and keys expire within the renewal margin, the renewed ones last an hour.
    cognito.idTokenLifetimes = [120, 3600];
    cognito.credentialLifetimes = [120, 3600];
    const page = await openConsole(`/console/?Username=${user}`);

    // Act
    await signIn(page);
    await page.locator('table.events tbody tr').nth(1).waitFor();

    // Assess
    expect(cognito.tokenRequests.map((form) => form.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
    ]);
    const credentialCalls = cognito.identityCalls.filter((call) =>
      call.target.endsWith('GetCredentialsForIdentity'),
    );
    expect(credentialCalls).toHaveLength(2);
    const [first, second] = credentialCalls.map((call) => JSON.stringify(call.input.Logins));
    expect(second).not.toBe(first);
    expect(cognito.identityCalls.filter((call) => call.target.endsWith('GetId'))).toHaveLength(1);
  });

  it('refuses an answer whose state is not the one this tab sent, and redeems no code', async () => {
    // Prepare
    cognito.authorizeAnswer = 'tampered-state';
    const page = await openConsole('/console/');

    // Act
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();

    // Assess
    expect(await alert.textContent()).toMatch(/state did not match.*refused it/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(cognito.tokenRequests).toEqual([]);
    expect(new URL(page.url()).search).toBe('');
    expect(await stored(page)).toEqual({ signin: null, session: null });
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in-refused.png') });
  });

  it('says so when the investigator declines, and offers to sign in again', async () => {
    // Prepare
    cognito.authorizeAnswer = 'access_denied';
    const page = await openConsole('/console/insights');

    // Act
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Assess
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.textContent())
      .toMatch(/^Sign-in was cancelled or refused \(access_denied: /);
    expect(new URL(page.url()).pathname).toBe('/console/insights');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('names the identity pool refusal instead of showing a blank page', async () => {
    // Prepare
    cognito.refuseCredentials = true;
    const page = await openConsole('/console/');

    // Act
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Assess
    const alert = page.getByRole('alert');
    await expect
      .poll(() => alert.textContent())
      .toMatch(/^The identity pool refused to give this sign-in AWS credentials \(NotAuthorizedException: /);
    expect((await stored(page)).session).toBeNull();
  });

  it('keeps a signed-in investigator signed in when a crafted link carries a sign-in answer', async () => {
    // Prepare
    const page = await openConsole('/console/');
    await signIn(page);
    await page.locator('table.events tbody tr').first().waitFor();

    // Act
    await page.goto(new URL('/console/?error=access_denied&state=forged', page.url()).toString());
    await page.locator('table.events tbody tr').first().waitFor();

    // Assess
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expect((await stored(page)).session).not.toBeNull();
  });

  it('signs out: revokes the refresh token, clears the session and goes through Cognito logout', async () => {
    // Prepare
    const page = await openConsole('/console/');
    await signIn(page);

    // Act
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to look up events' }).waitFor();

    // Assess
    expect(cognito.revoked).toEqual(['refresh-1']);
    expect(cognito.loggedOut.map((query) => Object.fromEntries(query))).toEqual([
      { client_id: CLIENT_ID, logout_uri: config.redirectUri },
    ]);
    expect(await stored(page)).toEqual({ signin: null, session: null });
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });
});
