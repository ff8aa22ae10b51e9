import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './support/measure.js';
import {
  BENCHMARK_NAMES,
  type BenchmarkName,
  formatTable,
  mergeResults,
  type Outcome,
} from './support/report.js';

/**
 * `npm run bench` runs every benchmark, prints one table and writes bench/results.json;
 * `npm run bench -- NAME [NAME...]` runs those only and updates only their keys in results.json.
 * `--seed N` seeds the benchmarks that generate random traffic (insights, partitions); without it they use a fixed seed.
 * `--duration S` sets how long the load benchmark drives local mode (default 30 s).
 * The table goes to stdout, progress to stderr.
 */

const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

// Loaded on demand, so running one benchmark does not load the others' dependencies (aws-cdk-lib, esbuild).
const BENCHMARKS: Record<BenchmarkName, (options: BenchOptions) => Promise<Outcome>> = {
  ingest: async () => (await import('./ingest.js')).runIngest(),
  lookup: async () => (await import('./lookup.js')).runLookup(),
  bundles: async () => (await import('./bundles.js')).runBundles(),
  pipeline: async () => (await import('./pipeline.js')).runPipeline(),
  insights: async (options) =>
    (await import('./insights.js')).runInsightsBenchmark(
      options.seed === undefined ? {} : { seed: options.seed },
    ),
  partitions: async (options) =>
    (await import('./partitions.js')).runPartitions(options.seed === undefined ? {} : { seed: options.seed }),
  cost: async () => (await import('./cost.js')).runCost(),
  codec: async () => (await import('./codec.js')).runCodec(),
  load: async (options) =>
    (await import('./load.js')).runLoad(
      options.duration === undefined ? {} : { durationSeconds: options.duration },
    ),
};

interface BenchOptions {
  readonly seed?: number;
  /** Seconds the load benchmark runs for. */
  readonly duration?: number;
}

/** Splits `--seed N` / `--duration S` (or `--seed=N`, `--duration=S`) from the benchmark names. */
function parseArgs(args: readonly string[]): { names: string[]; options: BenchOptions } {
  const names: string[] = [];
  const flags: Partial<Record<'seed' | 'duration', string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const flag = (['seed', 'duration'] as const).find(
      (name) => arg === `--${name}` || arg.startsWith(`--${name}=`),
    );
    if (flag === undefined) names.push(arg);
    else flags[flag] = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (args[++i] ?? '');
  }
  const options: { seed?: number; duration?: number } = {};
  if (flags.seed !== undefined) {
    if (!/^\d+$/.test(flags.seed))
      throw new Error(`--seed needs a non-negative integer, got "${flags.seed}"`);
    options.seed = Number(flags.seed);
  }
  if (flags.duration !== undefined) {
    if (!/^[1-9]\d{0,3}$/.test(flags.duration)) {
      throw new Error(`--duration needs whole seconds from 1 to 9999, got "${flags.duration}"`);
    }
    options.duration = Number(flags.duration);
  }
  return { names, options };
}

function selected(args: readonly string[]): BenchmarkName[] {
  if (args.length === 0) return [...BENCHMARK_NAMES];
  const unknown = args.filter((name) => !(BENCHMARK_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${BENCHMARK_NAMES.join(', ')}`);
  }
  return BENCHMARK_NAMES.filter((name) => args.includes(name));
}

async function main(): Promise<void> {
  const { names: requested, options } = parseArgs(process.argv.slice(2));
  const names = selected(requested);
  const outcomes: Outcome[] = [];
  for (const name of names) {
    const started = Date.now();
    outcomes.push(await BENCHMARKS[name](options));
    progress(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  await mergeResults(RESULTS_FILE, outcomes);
  const notes = outcomes.flatMap((outcome) => outcome.notes);
  process.stdout.write(`${formatTable(outcomes)}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`);
  process.stdout.write(`\nresults: ${RESULTS_FILE} (updated: ${names.join(', ')})\n`);
}

main().then(
  // Handler modules loaded by local mode keep SDK clients (and their sockets) alive: exit explicitly.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
