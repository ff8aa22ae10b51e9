/** How requests are retried after throttling (429), a 5xx or a network error. */
export interface RetryOptions {
  /** Attempts per request, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** The first retry waits up to this long; each later one up to twice the previous bound. @default 100 */
  readonly baseDelayMs?: number;
  /** No backoff is longer than this. @default 5000 */
  readonly maxDelayMs?: number;
  /**
   * The longest the client honours what the trail asks for: a 503's or 429's `Retry-After`, and how long an event
   * whose id an earlier attempt holds is resent for (`retryAfterSeconds`, at most the trail's claim settle time,
   * 50 s), beyond `maxAttempts`. @default 60000
   */
  readonly maxRetryAfterMs?: number;
  /** The jitter's source of randomness, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export type RetryPolicy = Required<RetryOptions>;

/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** While an event's id is held, it is resent no more often than this, however short the backoff. */
export const HELD_RESEND_MS = 1_000;

export const retryPolicy = (options: RetryOptions = {}): RetryPolicy => ({
  maxAttempts: options.maxAttempts ?? 8,
  baseDelayMs: options.baseDelayMs ?? 100,
  maxDelayMs: options.maxDelayMs ?? 5000,
  maxRetryAfterMs: Math.min(MAX_TIMER_MS, positiveOrZero(options.maxRetryAfterMs ?? 60_000)),
  random: options.random ?? Math.random,
});

/**
 * "Full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform wait up to the exponential
 * bound, so producers that failed together do not retry together.
 */
export const backoffMs = (policy: RetryPolicy, retry: number): number =>
  policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));

/** A wait asked for: anything but a finite positive number asks for none. */
export const positiveOrZero = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;

/**
 * The wait before a retry: the backoff, or `atLeastMs` when longer (a `Retry-After`, a held id's resend
 * interval), which is capped at maxRetryAfterMs.
 */
export const retryDelayMs = (policy: RetryPolicy, retry: number, atLeastMs = 0): number =>
  Math.max(backoffMs(policy, retry), Math.min(policy.maxRetryAfterMs, atLeastMs));

/** Throttled or failed on the server side: the same request may succeed later. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Per-event codes the trail answers when its store could not take the event yet (README, POST /events). */
export const RETRYABLE_EVENT_CODES: ReadonlySet<string> = new Set(['Throttling', 'InternalFailure']);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
