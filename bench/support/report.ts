import { readFile, rename, writeFile } from 'node:fs/promises';

/** What every benchmark hands back to bench/run.ts, and how results are printed and kept. */

export const BENCHMARK_NAMES = [
  'ingest',
  'lookup',
  'bundles',
  'pipeline',
  'insights',
  'partitions',
  'cost',
  'load',
  'codec',
] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

export type Status = 'PASS' | 'MISS';

export interface Row {
  readonly metric: string;
  readonly value: string;
  readonly target?: string;
  readonly status?: Status;
}

export interface Outcome {
  readonly name: BenchmarkName;
  /** Goes to results.json under `name`; its contract keys are fixed (issue 3), siblings may be added. */
  readonly result: object;
  readonly rows: readonly Row[];
  /** Printed under the table: how a figure was obtained, what it excludes, why a target was missed. */
  readonly notes: readonly string[];
}

/** A target that the value must not exceed. */
export interface Target {
  readonly max: number;
}

export const statusOf = (value: number, target: Target): Status => (value <= target.max ? 'PASS' : 'MISS');

export function targetRow(metric: string, value: number, display: string, target: Target): Row {
  return { metric, value: display, target: `<= ${target.max}`, status: statusOf(value, target) };
}

export function formatTable(outcomes: readonly Outcome[]): string {
  const header = ['benchmark', 'metric', 'value', 'target', 'status'];
  const lines = outcomes.flatMap((outcome) =>
    outcome.rows.map((row) => [outcome.name, row.metric, row.value, row.target ?? '', row.status ?? '']),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? '').length)),
  );
  const format = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [format(header), rule, ...lines.map(format)].join('\n');
}

/**
 * Writes the outcomes into results.json, keeping the keys of benchmarks that did not run. Keys stay in the
 * order of BENCHMARK_NAMES so the committed file diffs cleanly.
 */
export async function mergeResults(path: string, outcomes: readonly Outcome[]): Promise<void> {
  let existing: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      existing = parsed as Record<string, unknown>;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const merged: Record<string, unknown> = {};
  for (const name of BENCHMARK_NAMES) {
    const fresh = outcomes.find((outcome) => outcome.name === name);
    if (fresh) merged[name] = fresh.result;
    else if (existing[name] !== undefined) merged[name] = existing[name];
  }
  for (const [key, value] of Object.entries(existing)) if (!(key in merged)) merged[key] = value;
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(merged, null, 2)}\n`);
  await rename(temporary, path);
}
