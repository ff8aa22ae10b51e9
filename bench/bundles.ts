import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { buildConsole } from '../console/build.js';
import { BUNDLE_ALIASES, defaultBundlingOptions, esbuildOptionsOf } from '../lib/defaults/lambda.js';
import { median, progress, round, timeProcess } from './support/measure.js';
import { type Outcome, type Row, type Status, statusOf, type Target, targetRow } from './support/report.js';

/**
 * `npm run bench -- bundles`: each function bundled with esbuild the way the CDK stack bundles it (the options
 * come from lib/defaults/lambda.ts), its size, and its cold import time: the median wall time of fresh `node`
 * processes that import the bundle and exit, over the median of a bare `node` start. Beside it, the same ratio of
 * the processes' CPU time: on a shared machine wall time includes waiting for other processes, CPU time does not.
 * And the console's shipped JavaScript (console/build.ts, as local mode serves it), gzipped, against issue 14's
 * budget.
 */

export const BUNDLE_TARGETS = {
  importRatio: { max: 2 },
  consoleGzipKb: { max: 150 },
} as const satisfies Record<string, Target>;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT_DIR = join(ROOT, 'bench', '.tmp', 'bundles');
const FUNCTIONS = { ingest: 'lambda/handlers/ingest.ts', lookup: 'lambda/handlers/lookup.ts' } as const;
type FunctionName = keyof typeof FUNCTIONS;
/**
 * A module that only constructs the DynamoDB client, as both functions do at init, bundled the same way: the cold
 * import no function can go below while it uses @aws-sdk/client-dynamodb (issue 17 keeps that package).
 */
const SDK_FLOOR_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export const client = new DynamoDBClient({ region: process.env.AWS_REGION });`;
type BundleName = FunctionName | 'sdkFloor';
// Starts per series: on a shared 2-core machine a busy moment moved a median of 9 by 10% or more.
const RUNS = 21;

/** The environment the function reads at init (and nothing from this shell: no endpoints, no credentials). */
const FUNCTION_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  OPENTRAIL_TABLE_NAME: 'bench',
  AWS_REGION: 'us-east-1',
  OPENTRAIL_TOKEN_SECRET: '0123456789abcdef0123',
  POWERTOOLS_SERVICE_NAME: 'opentrail',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
/** What the stack adds to every function (lib/defaults/lambda.ts): source maps applied to stack traces. */
const SOURCE_MAPS_ENV: NodeJS.ProcessEnv = { ...FUNCTION_ENV, NODE_OPTIONS: '--enable-source-maps' };

/** The esbuild options NodejsFunction runs with the stack's bundling defaults (one translation: lib/defaults/lambda.ts). */
function esbuildOptions(sourcemap: boolean): BuildOptions {
  const deployed = esbuildOptionsOf(defaultBundlingOptions());
  return { ...deployed, sourcemap: sourcemap && deployed.sourcemap, metafile: true, logLevel: 'warning' };
}

interface Built {
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly metafile: Metafile;
}

async function bundle(name: BundleName, variant: 'plain' | 'deployed'): Promise<Built> {
  const outdir = join(OUT_DIR, name, variant);
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const file = join(outdir, 'index.mjs');
  const result = await build({
    ...esbuildOptions(variant === 'deployed'),
    ...(name === 'sdkFloor'
      ? { stdin: { contents: SDK_FLOOR_SOURCE, resolveDir: ROOT, sourcefile: 'sdk-floor.ts', loader: 'ts' } }
      : { entryPoints: [join(ROOT, FUNCTIONS[name])] }),
    outfile: file,
    absWorkingDir: ROOT,
  });
  const sourceMapBytes = await stat(`${file}.map`).then(
    (map) => map.size,
    () => 0,
  );
  if (!result.metafile) throw new Error(`esbuild returned no metafile for ${name}`);
  const replaced = Object.keys(result.metafile.inputs).filter((input) =>
    Object.keys(BUNDLE_ALIASES).some((module) => input.includes(`node_modules/${module}/`)),
  );
  if (replaced.length > 0)
    throw new Error(`${name} bundles modules the stack replaces: ${replaced.join(', ')}`);
  return { file, bytes: (await stat(file)).size, sourceMapBytes, metafile: result.metafile };
}

/** The biggest contributors to a bundle, by package. */
function topPackages(metafile: Metafile, count: number): Array<{ name: string; bytes: number }> {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match?.[1] ?? 'opentrail';
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

const importScript = (file: string): string => `await import(${JSON.stringify(pathToFileURL(file).href)});`;

/**
 * What every timed process runs last, bare starts included: it writes its own CPU time (user + system, in ms) to
 * CPU_FILE, through getBuiltinModule, which opens no stream and loads nothing an ES module import would.
 */
const CPU_FILE = join(OUT_DIR, 'cpu-ms');
const CPU_REPORT = `const cpu = process.cpuUsage(); process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(CPU_FILE)}, String((cpu.user + cpu.system) / 1000));`;

const nodeRun = (script: string, env: NodeJS.ProcessEnv) => ({
  command: process.execPath,
  args: ['--input-type=module', '-e', script],
  env,
});

/** Imports the bundle once and checks it exports a handler, so the timings are of a module that works. */
function checkBundle(built: Built): void {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(built.file).href)});
if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }`;
  timeProcess(nodeRun(script, SOURCE_MAPS_ENV));
}

interface BundleResult {
  readonly bytes: number;
  readonly importRatio: number;
  readonly target: Target & { readonly status: Status };
  readonly detail: {
    readonly sourceMapBytes: number;
    readonly importMs: number;
    readonly bareStartMs: number;
    readonly importRatioAsDeployed: number;
    readonly importMsAsDeployed: number;
    readonly bareStartMsAsDeployed: number;
    /** The same ratios of CPU time (user + system) instead of wall time. */
    readonly importCpuRatio: number;
    readonly importCpuMs: number;
    readonly bareStartCpuMs: number;
    readonly importCpuRatioAsDeployed: number;
    readonly topPackages: ReadonlyArray<{ name: string; bytes: number }>;
  };
}

/**
 * bench/.tmp is scratch, but Biome (without VCS integration) would lint and format the bundles written there;
 * a nested configuration switches it off for that folder.
 */
async function markScratch(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true });
  const config = {
    root: false,
    extends: '//',
    linter: { enabled: false },
    formatter: { enabled: false },
    assist: { enabled: false },
  };
  await writeFile(join(dirname(OUT_DIR), 'biome.json'), `${JSON.stringify(config, null, 2)}\n`);
}

interface ConsoleResult {
  readonly jsBytes: number;
  readonly jsGzipKb: number;
  readonly target: Target & { readonly status: Status };
  readonly detail: {
    readonly cssGzipBytes: number;
    readonly topPackages: ReadonlyArray<{ name: string; bytes: number }>;
  };
}

/** The console's bundle: every .js file it ships (source maps are fetched only by developer tools), gzipped. */
async function measureConsole(): Promise<ConsoleResult> {
  const outdir = join(OUT_DIR, 'console');
  await rm(outdir, { recursive: true, force: true });
  const { metafile } = await buildConsole(outdir);
  const gzipped = async (extension: string) => {
    const files = Object.keys(metafile.outputs).filter((file) => file.endsWith(extension));
    const contents = await Promise.all(files.map((file) => readFile(join(ROOT, 'console', file))));
    return {
      bytes: contents.reduce((sum, content) => sum + content.length, 0),
      gzipBytes: contents.reduce((sum, content) => sum + gzipSync(content, { level: 9 }).length, 0),
    };
  };
  const js = await gzipped('.js');
  const css = await gzipped('.css');
  const jsGzipKb = round(js.gzipBytes / 1024, 1);
  return {
    jsBytes: js.bytes,
    jsGzipKb,
    target: { ...BUNDLE_TARGETS.consoleGzipKb, status: statusOf(jsGzipKb, BUNDLE_TARGETS.consoleGzipKb) },
    detail: {
      cssGzipBytes: css.gzipBytes,
      topPackages: topPackages(metafile, 5),
    },
  };
}

export async function runBundles(): Promise<Outcome> {
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  await markScratch();
  progress('bundles: esbuild with the stack bundling options');
  const plain = new Map<FunctionName, Built>();
  const deployed = new Map<FunctionName, Built>();
  for (const name of names) {
    plain.set(name, await bundle(name, 'plain'));
    const asDeployed = await bundle(name, 'deployed');
    deployed.set(name, asDeployed);
    checkBundle(asDeployed);
  }
  const sdkFloor = await bundle('sdkFloor', 'plain');
  const built = (variant: Map<FunctionName, Built>, name: FunctionName): Built => {
    const found = variant.get(name);
    if (!found) throw new Error(`no bundle for ${name}`);
    return found;
  };

  progress(`bundles: cold import, ${RUNS} fresh node processes each`);
  const samples = new Map<string, number[]>();
  const record = (key: string, value: number): void => {
    samples.set(key, [...(samples.get(key) ?? []), value]);
  };
  const sample = (key: string, script: string, env: NodeJS.ProcessEnv): void => {
    record(key, timeProcess(nodeRun(`${script}\n${CPU_REPORT}`, env)));
    record(`${key}:cpu`, Number(readFileSync(CPU_FILE, 'utf8')));
  };
  timeProcess(nodeRun('', FUNCTION_ENV)); // the first start pays for a cold file cache
  for (let run = 0; run < RUNS; run++) {
    // Interleaved, so a busy moment on the machine hits every series alike.
    sample('bare', '', FUNCTION_ENV);
    for (const name of names) sample(name, importScript(built(plain, name).file), FUNCTION_ENV);
    sample('sdkFloor', importScript(sdkFloor.file), FUNCTION_ENV);
    sample('bare+maps', '', SOURCE_MAPS_ENV);
    for (const name of names)
      sample(`${name}+maps`, importScript(built(deployed, name).file), SOURCE_MAPS_ENV);
  }
  const ms = (key: string): number => round(median(samples.get(key) ?? []), 1);

  const resultFor = (name: FunctionName): BundleResult => {
    const importRatio = round(ms(name) / ms('bare'), 2);
    return {
      bytes: built(plain, name).bytes,
      importRatio,
      target: { ...BUNDLE_TARGETS.importRatio, status: statusOf(importRatio, BUNDLE_TARGETS.importRatio) },
      detail: {
        sourceMapBytes: built(deployed, name).sourceMapBytes,
        importMs: ms(name),
        bareStartMs: ms('bare'),
        importRatioAsDeployed: round(ms(`${name}+maps`) / ms('bare+maps'), 2),
        importMsAsDeployed: ms(`${name}+maps`),
        bareStartMsAsDeployed: ms('bare+maps'),
        importCpuRatio: round(ms(`${name}:cpu`) / ms('bare:cpu'), 2),
        importCpuMs: ms(`${name}:cpu`),
        bareStartCpuMs: ms('bare:cpu'),
        importCpuRatioAsDeployed: round(ms(`${name}+maps:cpu`) / ms('bare+maps:cpu'), 2),
        topPackages: topPackages(built(plain, name).metafile, 5),
      },
    };
  };
  progress('bundles: the console, as local mode builds it');
  const consoleResult = await measureConsole();
  const result = {
    ingest: resultFor('ingest'),
    lookup: resultFor('lookup'),
    sdkFloor: {
      bytes: sdkFloor.bytes,
      importRatio: round(ms('sdkFloor') / ms('bare'), 2),
      importCpuRatio: round(ms('sdkFloor:cpu') / ms('bare:cpu'), 2),
      importMs: ms('sdkFloor'),
      importCpuMs: ms('sdkFloor:cpu'),
    },
    console: consoleResult,
  };

  const functionRows: Row[] = names.flatMap((name) => {
    const fn = result[name];
    return [
      { metric: `${name} bundle bytes (minified, no source map)`, value: String(fn.bytes) },
      targetRow(
        `${name} cold import / bare node start`,
        fn.importRatio,
        fn.importRatio.toFixed(2),
        BUNDLE_TARGETS.importRatio,
      ),
      targetRow(
        `${name} same, as deployed (source maps on)`,
        fn.detail.importRatioAsDeployed,
        fn.detail.importRatioAsDeployed.toFixed(2),
        BUNDLE_TARGETS.importRatio,
      ),
    ];
  });
  const rows: Row[] = [
    ...functionRows,
    {
      metric: 'DynamoDB client alone (the SDK floor) cold import / bare node start',
      value: result.sdkFloor.importRatio.toFixed(2),
    },
    { metric: 'console shipped JS bytes (minified)', value: String(consoleResult.jsBytes) },
    targetRow(
      'console shipped JS gzipped (KB)',
      consoleResult.jsGzipKb,
      consoleResult.jsGzipKb.toFixed(1),
      BUNDLE_TARGETS.consoleGzipKb,
    ),
  ];
  const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;
  const notes = [
    `bundles: esbuild ${JSON.stringify({ ...esbuildOptions(true), metafile: undefined, logLevel: undefined })}; written to ${relative(ROOT, OUT_DIR)}.`,
    `bundles: medians of ${RUNS} fresh node ${process.version} processes each: bare start ${ms('bare')} ms (${ms('bare+maps')} ms with NODE_OPTIONS=--enable-source-maps); ${names
      .map((name) => `${name} ${ms(name)} ms (${ms(`${name}+maps`)} ms as deployed)`)
      .join(
        ', ',
      )}. Lambda runs Node.js 22 on arm64; this machine runs ${process.version} on ${process.arch}.`,
    `bundles: CPU time of the same processes (user + system): bare start ${ms('bare:cpu')} ms; ${names
      .map(
        (name) =>
          `${name} ${ms(`${name}:cpu`)} ms, ratio ${result[name].detail.importCpuRatio} (${result[name].detail.importCpuRatioAsDeployed} as deployed)`,
      )
      .join('; ')}.`,
    `bundles: the SDK floor, a bundle that only constructs the DynamoDB client as both functions do (${kb(sdkFloor.bytes)}): ${ms('sdkFloor')} ms, ratio ${result.sdkFloor.importRatio} (CPU ${ms('sdkFloor:cpu')} ms, ratio ${result.sdkFloor.importCpuRatio}); no function that uses @aws-sdk/client-dynamodb imports faster.`,
    `bundles: Node's compile cache is not measured: module.enableCompileCache needs Node 22.1 (this is ${process.version}), and a new Lambda sandbox starts with an empty /tmp, so only a cache shipped with the bundle, for the runtime's exact Node version, could serve a cold start.`,
    ...names.map(
      (name) =>
        `bundles ${name}: ${kb(result[name].bytes)} code + ${kb(result[name].detail.sourceMapBytes)} source map; largest parts: ${result[
          name
        ].detail.topPackages
          .map((part) => `${part.name} ${kb(part.bytes)}`)
          .join(', ')}.`,
    ),
    `bundles console: console/build.ts into ${relative(ROOT, join(OUT_DIR, 'console'))}, gzip level 9; CSS ${kb(consoleResult.detail.cssGzipBytes)} gzipped besides; largest parts: ${consoleResult.detail.topPackages
      .map((part) => `${part.name} ${kb(part.bytes)}`)
      .join(', ')}.`,
  ];
  return { name: 'bundles', result, rows, notes };
}
