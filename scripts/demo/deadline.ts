/** The demo's hard limit: every wait checks it, so the demo always ends (and stops local mode). */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
}

export interface Deadline {
  /** Milliseconds left (0 when passed). */
  remainingMs(): number;
  /** Throws DeadlineExceededError, naming what was going on, once the deadline has passed. */
  check(doing: string): void;
}

export function deadlineIn(ms: number, now: () => number = Date.now): Deadline {
  const at = now() + ms;
  return {
    remainingMs: () => Math.max(0, at - now()),
    check: (doing) => {
      if (now() >= at) throw new DeadlineExceededError(`the demo ran out of time (${ms / 1000} s) ${doing}`);
    },
  };
}
