import type { Context } from 'aws-lambda';
import { createLambdaContext } from './lambda-invoke.js';

/**
 * Plays an EventBridge schedule for one function: invokes it every `intervalMs`, never two runs at once (a
 * run still going when the next is due is skipped, as a one-minute schedule with a short function would never
 * see). Failures are logged and the next tick tries again, like a schedule without retries.
 */
export type ScheduledFunction<R> = (event: unknown, context: Context) => Promise<R>;

export interface Scheduler<R> {
  /** Runs the function now (waiting for a run in progress first); for tests and demos. */
  runNow(): Promise<R>;
  runs(): number;
  stop(): Promise<void>;
}

export interface SchedulerOptions<R> {
  readonly functionName: string;
  readonly handler: ScheduledFunction<R>;
  readonly intervalMs: number;
  readonly region: string;
  readonly accountId: string;
  readonly timeoutMs?: number;
  /** The function's memory, as its context reports it. @default Lambda's 128 MB */
  readonly memoryMb?: number;
  readonly log?: (line: string) => void;
}

export function startScheduler<R>(options: SchedulerOptions<R>): Scheduler<R> {
  let running: Promise<R> | undefined;
  let count = 0;
  const invoke = (): Promise<R> => {
    const context = createLambdaContext(
      options.functionName,
      options.region,
      options.accountId,
      options.timeoutMs ?? 55_000,
      options.memoryMb,
    );
    count++;
    const run = options.handler({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event' }, context);
    running = run.finally(() => {
      running = undefined;
    });
    return run;
  };
  const timer = setInterval(() => {
    if (running) return;
    invoke().catch((error: unknown) => options.log?.(`${options.functionName} failed: ${String(error)}`));
  }, options.intervalMs);
  timer.unref();
  return {
    runNow: async () => {
      await running?.catch(() => undefined);
      return invoke();
    },
    runs: () => count,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
