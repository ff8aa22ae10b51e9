import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ApiAdvice, type Credentials, createApi } from './api.js';
import {
  type AwsSession,
  authorizeUrl,
  awsSession,
  type CognitoConfig,
  describeCallbackError,
  freshSession,
  isAwsSession,
  isPendingSignIn,
  logoutUrl,
  type PendingSignIn,
  parseCallback,
  REFRESH_MARGIN_MS,
  randomToken,
  redeemCode,
  revokeRefreshToken,
  SignInError,
  signedInName,
} from './cognito.js';
import { BASE } from './nav.js';
import { Header, Pages } from './shell.js';

/**
 * The console in AWS: the investigator signs in with the user pool's hosted pages, the identity pool turns the ID
 * token into temporary keys of its signed-in role (grantLookup only), and every API call is signed with them.
 * sessionStorage holds the sign-in in progress (state and code_verifier, removed when Cognito answers) and the
 * session (tokens and keys, removed at sign-out): this tab only, gone when it closes.
 */

const PENDING_KEY = 'opentrail.signin';
const SESSION_KEY = 'opentrail.session';

const COGNITO_ADVICE: ApiAdvice = {
  credentials: 'Sign out and sign in again.',
  forbidden:
    'the signed-in role may only look events up (grantLookup), and the API refused even that. Ask your administrator to check the identity pool\u2019s role.',
  unreachable: 'Check the connection, then try again.',
};

const read = <T,>(key: string, is: (value: unknown) => value is T): T | undefined => {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(key) ?? 'null');
    return is(value) ? value : undefined;
  } catch {
    return undefined;
  }
};

const storeSession = (session: AwsSession): void =>
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));

/** A path of this console to come back to; anything else (another origin, another app) comes back to the start. */
const consolePath = (path: string): string => (path.startsWith(BASE) && !path.startsWith('//') ? path : BASE);

type Phase =
  | { readonly kind: 'signed-out'; readonly message?: string }
  | { readonly kind: 'working'; readonly message: string }
  | { readonly kind: 'signed-in'; readonly session: AwsSession };

const explain = (error: unknown): string =>
  error instanceof SignInError
    ? error.message
    : `Signing in failed (${error instanceof Error ? error.message : String(error)}). Sign in again.`;

/** Where the tab starts: Cognito's answer on the redirect URI, a session this tab already has, or none. */
function initialPhase(): Phase {
  const session = read(SESSION_KEY, isAwsSession);
  if (location.pathname === BASE && parseCallback(location.search) !== undefined) {
    // Only the tab that started a sign-in expects an answer: a crafted ?code= or ?error= link must not sign a
    // signed-in investigator out.
    if (session === undefined || read(PENDING_KEY, isPendingSignIn) !== undefined) {
      return { kind: 'working', message: 'Signing in\u2026' };
    }
    history.replaceState(null, '', BASE);
  }
  return session === undefined ? { kind: 'signed-out' } : { kind: 'signed-in', session };
}

/** Finishes a sign-in Cognito sent back: the state must be the one this tab sent, the code is redeemed with its verifier. */
async function finishSignIn(config: CognitoConfig): Promise<Phase> {
  const callback = parseCallback(location.search);
  const pending = read(PENDING_KEY, isPendingSignIn);
  // The verifier serves one round trip; the answer's query (a code) leaves the address bar and the history entry.
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', consolePath(pending?.returnTo ?? BASE));
  if (callback === undefined) return { kind: 'signed-out' };
  if (pending === undefined || pending.state !== callback.state) {
    return {
      kind: 'signed-out',
      message:
        'The sign-in answer did not come from the sign-in this tab started (its state did not match), so the ' +
        'console refused it. Sign in again.',
    };
  }
  if (callback.kind === 'error') return { kind: 'signed-out', message: describeCallbackError(callback) };
  try {
    const tokens = await redeemCode(config, callback.code, pending.codeVerifier);
    const session = await awsSession(config, tokens);
    storeSession(session);
    return { kind: 'signed-in', session };
  } catch (error) {
    return { kind: 'signed-out', message: explain(error) };
  }
}

async function startSignIn(config: CognitoConfig): Promise<void> {
  const pending: PendingSignIn = {
    state: randomToken(),
    codeVerifier: randomToken(),
    returnTo: consolePath(`${location.pathname}${location.search}`),
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(await authorizeUrl(config, pending));
}

/**
 * The keys for the next call: the session's while they last beyond the margin, else renewed once (concurrent calls
 * share the renewal); a renewal Cognito refuses ends the session with its reason.
 */
function credentialSource(
  config: CognitoConfig,
  initial: AwsSession,
  onEnded: (message: string) => void,
): () => Promise<Credentials> {
  let current = initial;
  let renewal: Promise<AwsSession> | undefined;
  return async () => {
    if (current.credentialsExpireAt - Date.now() > REFRESH_MARGIN_MS) return current.credentials;
    renewal ??= freshSession(config, current)
      .then((next) => {
        current = next;
        storeSession(next);
        return next;
      })
      .catch((error: unknown) => {
        sessionStorage.removeItem(SESSION_KEY);
        onEnded(explain(error));
        throw error;
      })
      .finally(() => {
        renewal = undefined;
      });
    return (await renewal).credentials;
  };
}

export function CognitoConsole({ config }: { config: CognitoConfig }) {
  const [phase, setPhase] = useState<Phase>(initialPhase);
  useEffect(() => {
    if (phase.kind === 'working') void finishSignIn(config).then(setPhase);
  }, []);

  const session = phase.kind === 'signed-in' ? phase.session : undefined;
  const api = useMemo(
    () =>
      session &&
      createApi(
        config.region,
        credentialSource(config, session, (message) => setPhase({ kind: 'signed-out', message })),
        config.apiUrl,
        COGNITO_ADVICE,
      ),
    [session],
  );

  const signIn = () => {
    setPhase({ kind: 'working', message: 'Going to the sign-in page\u2026' });
    void startSignIn(config).catch((error: unknown) =>
      setPhase({ kind: 'signed-out', message: explain(error) }),
    );
  };
  const signOut = async () => {
    if (session === undefined) return;
    setPhase({ kind: 'working', message: 'Signing out\u2026' });
    sessionStorage.removeItem(SESSION_KEY);
    await revokeRefreshToken(config, session.tokens);
    location.assign(logoutUrl(config));
  };

  return (
    <>
      <Header pages={session !== undefined}>
        {session !== undefined && (
          <>
            <span class="who" title="Signed in with the console's user pool">
              {signedInName(session.tokens.idToken)}
            </span>
            <button type="button" class="small" onClick={() => void signOut()}>
              Sign out
            </button>
          </>
        )}
      </Header>
      <main>
        {api !== undefined ? (
          <Pages api={api} apiUrl={config.apiUrl} region={config.region} />
        ) : phase.kind === 'working' ? (
          <p class="banner" role="status">
            {phase.message}
          </p>
        ) : (
          <SignIn message={phase.kind === 'signed-out' ? phase.message : undefined} onSignIn={signIn} />
        )}
      </main>
    </>
  );
}

function SignIn({ message, onSignIn }: { message: string | undefined; onSignIn: () => void }) {
  return (
    <section class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to look up events</h1>
      {message !== undefined && (
        <p class="banner error" role="alert">
          {message}
        </p>
      )}
      <p>
        Sign in with the account your administrator created for you; Cognito asks for your password and the
        code from your authenticator app. The console then looks events up with a role that may only read the
        trail.
      </p>
      <button type="button" class="primary" onClick={onSignIn}>
        Sign in
      </button>
    </section>
  );
}
