/** Retry timing shared by every adapter that retries partial failures: capped exponential with full jitter. */
export interface BackoffPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected so tests can run retries without waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 1_000 };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The delay before retry number `attempt` (1-based): a random time up to min(max, base * 2^attempt). */
export function backoffDelayMs(
  policy: Pick<BackoffPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
  attempt: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** Waits before retry number `attempt` (1-based), for backoffDelayMs. */
export function backoffDelay(policy: BackoffPolicy, attempt: number): Promise<void> {
  return (policy.sleep ?? realSleep)(backoffDelayMs(policy, attempt));
}

/** Runs `task` over `items` with at most `limit` in flight, keeping result order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
