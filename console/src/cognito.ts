import type { Credentials } from './api.js';

/**
 * Sign-in in AWS (docs/console.md, "Sign-in"): the OAuth 2.0 authorization-code grant with PKCE against the user
 * pool's domain (/oauth2/authorize, /oauth2/token, /oauth2/revoke, /logout), then AWS credentials for the identity
 * pool's signed-in role from Cognito Identity's JSON API (GetId, GetCredentialsForIdentity). Plain fetch calls to
 * small documented endpoints: no SDK in the bundle. Nothing here touches storage or the page; signin.tsx does.
 */

/** What config.json holds in AWS: the sign-in reads it, and the stack writes it (lib/constructs/console-site.ts). */
export interface CognitoConfig {
  readonly region: string;
  readonly apiUrl: string;
  readonly userPoolId: string;
  readonly clientId: string;
  readonly identityPoolId: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, no trailing slash. */
  readonly cognitoDomain: string;
  /** The console's URL, registered as the app client's callback and sign-out URL. */
  readonly redirectUri: string;
}

const COGNITO_KEYS = [
  'region',
  'apiUrl',
  'userPoolId',
  'clientId',
  'identityPoolId',
  'cognitoDomain',
  'redirectUri',
] as const;

export const isCognitoConfig = (value: unknown): value is CognitoConfig =>
  typeof value === 'object' &&
  value !== null &&
  COGNITO_KEYS.every((key) => typeof (value as Record<string, unknown>)[key] === 'string');

/** A sign-in the tab started: checked when Cognito sends the browser back, then forgotten. */
export interface PendingSignIn {
  readonly state: string;
  readonly codeVerifier: string;
  /** Where the investigator was (path and query), to return there once signed in. */
  readonly returnTo: string;
}

export interface Tokens {
  readonly idToken: string;
  readonly refreshToken: string;
  /** Epoch milliseconds after which the ID token is refused by the identity pool. */
  readonly idTokenExpiresAt: number;
}

export interface AwsSession {
  readonly tokens: Tokens;
  readonly identityId: string;
  readonly credentials: Credentials;
  /** Epoch milliseconds. */
  readonly credentialsExpireAt: number;
}

/** A refusal the investigator can read: what failed, with the service's own code. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    readonly kind: 'denied' | 'state' | 'token' | 'expired' | 'identity' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

/** Credentials (and ID tokens) are renewed this long before they expire, so no call is signed with stale keys. */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** 32 random bytes, base64url: a 43-character verifier or state (RFC 7636 section 4.1). */
export const randomToken = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** S256: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 section 4.2). */
export async function codeChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier));
  return base64url(new Uint8Array(digest));
}

export async function authorizeUrl(config: CognitoConfig, pending: PendingSignIn): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state: pending.state,
    code_challenge_method: 'S256',
    code_challenge: await codeChallenge(pending.codeVerifier),
  });
  return `${config.cognitoDomain}/oauth2/authorize?${query.toString()}`;
}

export const logoutUrl = (config: CognitoConfig): string =>
  `${config.cognitoDomain}/logout?${new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri }).toString()}`;

export type Callback =
  | { readonly kind: 'code'; readonly code: string; readonly state: string }
  | { readonly kind: 'error'; readonly error: string; readonly description: string; readonly state: string };

/** Cognito's answer on the redirect URI (`?code=&state=` or `?error=&error_description=&state=`); undefined when the query is none. */
export function parseCallback(search: string): Callback | undefined {
  const query = new URLSearchParams(search);
  const state = query.get('state') ?? '';
  const code = query.get('code');
  const error = query.get('error');
  if (error !== null) {
    return { kind: 'error', error, description: query.get('error_description') ?? '', state };
  }
  return code === null ? undefined : { kind: 'code', code, state };
}

/** The claims of a JWT, unverified: for display and the expiry only (the identity pool verifies the token). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Who is signed in, as Cognito names them: the e-mail address, else the user name. */
export function signedInName(idToken: string): string {
  const claims = jwtClaims(idToken);
  const name = claims.email ?? claims['cognito:username'];
  return typeof name === 'string' ? name : 'signed in';
}

type Fetch = typeof fetch;

const post = async (fetcher: Fetch, url: string, init: RequestInit): Promise<Response> => {
  try {
    return await fetcher(url, { ...init, method: 'POST' });
  } catch (error) {
    throw new SignInError('unreachable', `Cognito could not be reached (${(error as Error).message}).`);
  }
};

const readJson = async (response: Response): Promise<Record<string, unknown>> => {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** POST /oauth2/token, form-encoded; a public client sends its client_id and no secret. */
async function tokenRequest(
  config: CognitoConfig,
  parameters: Record<string, string>,
  fetcher: Fetch,
): Promise<Record<string, unknown>> {
  const response = await post(fetcher, `${config.cognitoDomain}/oauth2/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...parameters, client_id: config.clientId }).toString(),
  });
  const body = await readJson(response);
  if (!response.ok) {
    const code = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
    // invalid_grant on a refresh: the refresh token expired or was revoked.
    if (parameters.grant_type === 'refresh_token') {
      throw new SignInError('expired', `Your session has ended (${code}). Sign in again to go on.`);
    }
    throw new SignInError('token', `Cognito refused to finish the sign-in (${code}). Sign in again.`);
  }
  return body;
}

const idTokenExpiry = (idToken: string, now: number, expiresIn: unknown): number => {
  const exp = jwtClaims(idToken).exp;
  if (typeof exp === 'number') return exp * 1000;
  return now + (typeof expiresIn === 'number' ? expiresIn : 3600) * 1000;
};

/** Redeems the authorization code with its verifier: ID, access and refresh tokens. */
export async function redeemCode(
  config: CognitoConfig,
  code: string,
  codeVerifier: string,
  fetcher: Fetch = fetch,
  now = Date.now(),
): Promise<Tokens> {
  const body = await tokenRequest(
    config,
    { grant_type: 'authorization_code', code, redirect_uri: config.redirectUri, code_verifier: codeVerifier },
    fetcher,
  );
  const { id_token: idToken, refresh_token: refreshToken } = body;
  if (typeof idToken !== 'string' || typeof refreshToken !== 'string') {
    throw new SignInError('token', 'Cognito answered the sign-in without an ID token and a refresh token.');
  }
  return { idToken, refreshToken, idTokenExpiresAt: idTokenExpiry(idToken, now, body.expires_in) };
}

/** A new ID token for the refresh token (Cognito keeps the refresh token unless rotation is on). */
export async function refreshTokens(
  config: CognitoConfig,
  tokens: Tokens,
  fetcher: Fetch = fetch,
  now = Date.now(),
): Promise<Tokens> {
  const body = await tokenRequest(
    config,
    { grant_type: 'refresh_token', refresh_token: tokens.refreshToken },
    fetcher,
  );
  if (typeof body.id_token !== 'string') {
    throw new SignInError('expired', 'Cognito renewed the session without an ID token. Sign in again.');
  }
  return {
    idToken: body.id_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : tokens.refreshToken,
    idTokenExpiresAt: idTokenExpiry(body.id_token, now, body.expires_in),
  };
}

/** POST /oauth2/revoke: the refresh token (and the tokens it issued) stop working. Best effort at sign-out. */
export async function revokeRefreshToken(
  config: CognitoConfig,
  tokens: Tokens,
  fetcher: Fetch = fetch,
): Promise<void> {
  await post(fetcher, `${config.cognitoDomain}/oauth2/revoke`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refreshToken, client_id: config.clientId }).toString(),
  }).catch(() => undefined);
}

/** One call of Cognito Identity's awsJson1_1 API (public operations: no signature). */
async function identityCall(
  config: CognitoConfig,
  operation: 'GetId' | 'GetCredentialsForIdentity',
  input: object,
  fetcher: Fetch,
): Promise<Record<string, unknown>> {
  const response = await post(fetcher, `https://cognito-identity.${config.region}.amazonaws.com/`, {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityService.${operation}`,
    },
    body: JSON.stringify(input),
  });
  const body = await readJson(response);
  if (!response.ok) {
    // `__type` may carry a namespace: `com.amazonaws.cognito.identity#NotAuthorizedException`.
    const type =
      typeof body.__type === 'string' ? (body.__type.split('#').pop() ?? '') : `HTTP ${response.status}`;
    const message = typeof body.message === 'string' ? `: ${body.message.replace(/\.+$/, '')}` : '';
    throw new SignInError(
      'identity',
      `The identity pool refused to give this sign-in AWS credentials (${type}${message}). Ask your administrator to check the identity pool's user pool provider, then sign in again.`,
    );
  }
  return body;
}

/** The Logins map naming the user pool that issued the ID token. */
export const loginsFor = (config: CognitoConfig, idToken: string): Record<string, string> => ({
  [`cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`]: idToken,
});

/** GetId (once per sign-in) and GetCredentialsForIdentity: temporary keys of the identity pool's signed-in role. */
export async function awsSession(
  config: CognitoConfig,
  tokens: Tokens,
  knownIdentityId?: string,
  fetcher: Fetch = fetch,
): Promise<AwsSession> {
  const Logins = loginsFor(config, tokens.idToken);
  const identityId =
    knownIdentityId ??
    (await identityCall(config, 'GetId', { IdentityPoolId: config.identityPoolId, Logins }, fetcher))
      .IdentityId;
  if (typeof identityId !== 'string') {
    throw new SignInError(
      'identity',
      'The identity pool answered GetId without an identity ID. Sign in again.',
    );
  }
  const body = await identityCall(
    config,
    'GetCredentialsForIdentity',
    { IdentityId: identityId, Logins },
    fetcher,
  );
  const credentials = body.Credentials as Record<string, unknown> | undefined;
  const { AccessKeyId, SecretKey, SessionToken, Expiration } = credentials ?? {};
  if (
    typeof AccessKeyId !== 'string' ||
    typeof SecretKey !== 'string' ||
    typeof SessionToken !== 'string' ||
    typeof Expiration !== 'number'
  ) {
    throw new SignInError(
      'identity',
      'The identity pool answered without complete credentials. Sign in again.',
    );
  }
  return {
    tokens,
    identityId,
    credentials: { accessKeyId: AccessKeyId, secretAccessKey: SecretKey, sessionToken: SessionToken },
    // awsJson1_1 timestamps are epoch seconds.
    credentialsExpireAt: Expiration * 1000,
  };
}

/**
 * The session to sign the next call with: as it is while its keys last beyond the margin, else with new keys
 * (and first a new ID token when that one is close to expiry too).
 */
export async function freshSession(
  config: CognitoConfig,
  session: AwsSession,
  fetcher: Fetch = fetch,
  now = Date.now(),
): Promise<AwsSession> {
  if (session.credentialsExpireAt - now > REFRESH_MARGIN_MS) return session;
  const tokens =
    session.tokens.idTokenExpiresAt - now > REFRESH_MARGIN_MS
      ? session.tokens
      : await refreshTokens(config, session.tokens, fetcher, now);
  return awsSession(config, tokens, session.identityId, fetcher);
}

const isTokens = (value: unknown): value is Tokens => {
  const tokens = value as Partial<Tokens> | undefined;
  return (
    typeof tokens?.idToken === 'string' &&
    typeof tokens.refreshToken === 'string' &&
    typeof tokens.idTokenExpiresAt === 'number'
  );
};

export const isAwsSession = (value: unknown): value is AwsSession => {
  const session = value as Partial<AwsSession> | undefined;
  return (
    isTokens(session?.tokens) &&
    typeof session.identityId === 'string' &&
    typeof session.credentialsExpireAt === 'number' &&
    typeof session.credentials?.accessKeyId === 'string' &&
    typeof session.credentials.secretAccessKey === 'string' &&
    typeof session.credentials.sessionToken === 'string'
  );
};

export const isPendingSignIn = (value: unknown): value is PendingSignIn => {
  const pending = value as Partial<PendingSignIn> | undefined;
  return (
    typeof pending?.state === 'string' &&
    typeof pending.codeVerifier === 'string' &&
    typeof pending.returnTo === 'string'
  );
};

/** What Cognito's error on the redirect means for the investigator. */
export function describeCallbackError(callback: Extract<Callback, { kind: 'error' }>): string {
  const detail = callback.description === '' ? callback.error : `${callback.error}: ${callback.description}`;
  return callback.error === 'access_denied'
    ? `Sign-in was cancelled or refused (${detail}).`
    : `Cognito could not sign you in (${detail}).`;
}
