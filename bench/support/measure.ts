import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Measurement helpers shared by the benchmarks: medians, CPU time of a loop, child-process start times. */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** Progress and diagnostics go to stderr; stdout carries the results table only. */
export const progress = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/** CPU microseconds (user + system) per call of `body`, over `iterations` calls after `warmup` calls. */
export async function cpuMicrosPerCall(
  body: () => unknown,
  iterations: number,
  warmup: number,
): Promise<{ cpuUs: number; wallUs: number }> {
  for (let i = 0; i < warmup; i++) await body();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < iterations; i++) await body();
  const wallUs = (performance.now() - wallStart) * 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { cpuUs: (cpu.user + cpu.system) / iterations, wallUs: wallUs / iterations };
}

/**
 * Runs `body` with process.stdout.write replaced by a sink: the handlers log one JSON line per request, which
 * must not end up in the results table. The log line is still built and written to a stream, so its cost stays
 * in the measurement; only the terminal I/O goes.
 */
export async function withMutedStdout<T>(body: () => Promise<T>): Promise<{ value: T; mutedWrites: number }> {
  const original = process.stdout.write;
  let mutedWrites = 0;
  const sink = (_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    mutedWrites += 1;
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  };
  process.stdout.write = sink as typeof process.stdout.write;
  try {
    const value = await body();
    return { value, mutedWrites };
  } finally {
    process.stdout.write = original;
  }
}

/**
 * Runs `body` with process.stdout.write replaced by a counter of the bytes written: what a function would ship to
 * its log group (the Lambda runtime sends stdout there). Nothing reaches the terminal.
 */
export async function withCapturedStdout<T>(body: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const original = process.stdout.write;
  let bytes = 0;
  const counter = (chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  };
  process.stdout.write = counter as typeof process.stdout.write;
  try {
    const value = await body();
    return { value, bytes };
  } finally {
    process.stdout.write = original;
  }
}

export interface ProcessRun {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Wall milliseconds from spawning a process to its exit; a failing process stops the benchmark. */
export function timeProcess(run: ProcessRun, timeoutMs = 60_000): number {
  const start = performance.now();
  const result = spawnSync(run.command, [...run.args], {
    env: run.env,
    timeout: timeoutMs,
    encoding: 'utf8',
  });
  const elapsed = performance.now() - start;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${run.command} ${run.args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stderr}`,
    );
  }
  return elapsed;
}
