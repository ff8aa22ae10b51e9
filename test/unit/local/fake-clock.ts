import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../../../local/stream-mapping/clock.js';

interface Timer {
  readonly at: number;
  readonly fire: () => void;
}

/**
 * Fake time for code that waits on a Clock: sleeps resolve only when the test moves time forward. runUntil and
 * runFor let pending work settle (mocked SDK calls and handlers answer in promise callbacks) before each timer
 * fires, so the code sees the same order of events as on real time, without the waits.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = () => {
        this.remove(timer);
        resolve();
      };
      const timer: Timer = {
        at: this.current + Math.max(0, ms),
        fire: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Moves time forward by `ms` at once, firing every sleep due by then. */
  advance(ms: number): void {
    this.current += ms;
    this.fireDue();
  }

  /** Runs time, timer by timer, until `condition` holds; a real-time deadline catches a condition that never will. */
  async runUntil(condition: () => boolean, what: string, realTimeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + realTimeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${realTimeoutMs} ms (real time) waiting for ${what}`);
      }
      await settle();
      // With no sleep pending, the code waits for something real (a function timeout): the next round settles again.
      if (!condition()) this.fireNext(Number.POSITIVE_INFINITY);
    }
  }

  /** Runs `ms` of time, timer by timer. */
  async runFor(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await settle();
      if (!this.fireNext(end)) break;
    }
    this.current = end;
    await settle();
  }

  /** Moves time to the earliest sleep due by `limit` and fires every sleep due then; false when there is none. */
  private fireNext(limit: number): boolean {
    const next = Math.min(...this.timers.map((timer) => timer.at));
    if (!Number.isFinite(next) || next > limit) return false;
    this.current = Math.max(this.current, next);
    this.fireDue();
    return true;
  }

  private fireDue(): void {
    for (const timer of this.timers.filter((candidate) => candidate.at <= this.current)) {
      this.remove(timer);
      timer.fire();
    }
  }

  private remove(timer: Timer): void {
    const index = this.timers.indexOf(timer);
    if (index >= 0) this.timers.splice(index, 1);
  }
}

/** Lets every promise callback that is ready run, as a turn of the event loop does. */
const settle = async (): Promise<void> => {
  for (let turn = 0; turn < 3; turn++) await nextTurn();
};
