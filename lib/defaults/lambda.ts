import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { SERVICE_NAME } from '../../lambda/manifest/functions.js';
import { definedProps } from '../props-merge.js';

/** Lets CommonJS dependencies bundled into an ES module call `require` (esbuild issue 1921). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Modules the deployed bundles replace, with the file (relative to the project root, where CDK runs esbuild) that
 * stands in: the SDK's default credential chain becomes the environment provider Lambda needs
 * (lambda/adapters/env-credentials.ts); `node:process` the global's values, without the stream on standard input
 * its ES module exports open (lambda/adapters/node-process.ts); the SDK's event streams, which no function uses
 * and whose `import()` keeps esbuild from tree-shaking @smithy/core, a stand-in that fails if one is ever reached
 * (lambda/adapters/stubs/event-streams.ts); and `node:crypto` its functions without the ES module facade that loads
 * Web Crypto (lambda/adapters/stubs/node-crypto.ts). Local mode runs the sources, unreplaced.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './lambda/adapters/env-credentials.ts',
  'node:process': './lambda/adapters/node-process.ts',
  '@smithy/core/event-streams': './lambda/adapters/stubs/event-streams.ts',
  'node:crypto': './lambda/adapters/stubs/node-crypto.ts',
};

/**
 * Bundles the handler and its dependencies, the AWS SDK included, into one minified ES module with source maps.
 * Bundling the SDK pins its version and lets esbuild tree-shake it (NOTES.md item 11). The source maps leave the
 * sources out (`--enable-source-maps` reads the map at start; stack traces need only its mappings), and the
 * aliases above drop code and start-up work the functions never need: both shorten a cold start (bench -- bundles).
 */
export function defaultBundlingOptions(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    // Prefer the ES module build of each package so tree-shaking works.
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    // Minified names stay minified: keeping them costs 26 KB and 2-4 ms of each cold start (bench -- bundles), and
    // nothing reads them: every error class names itself (`name = '...'`, the SDK's too), and stack traces get
    // their function names back from the source maps.
    keepNames: false,
    externalModules: [],
    banner: ESM_REQUIRE_BANNER,
    esbuildArgs: {
      '--alias': Object.entries(BUNDLE_ALIASES).map(([module, file]) => `${module}=${file}`),
    },
  };
}

/**
 * The esbuild options NodejsFunction runs for `bundling` (aws-cdk-lib aws-lambda-nodejs Bundling.buildEsbuildArgs),
 * for builds outside CDK that must match the stack's (bench -- bundles). Only the options the defaults use are
 * translated; any other one is refused rather than silently dropped.
 */
export function esbuildOptionsOf(bundling: BundlingOptions): BuildOptions {
  const {
    format,
    target,
    mainFields,
    minify,
    sourceMap,
    sourcesContent,
    keepNames,
    externalModules,
    banner,
    esbuildArgs,
    ...rest
  } = bundling;
  const unknown = Object.keys(rest);
  const args = Object.entries(esbuildArgs ?? {});
  if (unknown.length > 0 || args.some(([arg]) => arg !== '--alias')) {
    throw new Error(
      `bundling options without an esbuild translation: ${[...unknown, ...args.map(([arg]) => arg)]}`,
    );
  }
  const aliases = args.flatMap(([, value]) => (Array.isArray(value) ? value : [String(value)]));
  return {
    bundle: true,
    platform: 'node',
    format: format === OutputFormat.CJS ? 'cjs' : 'esm',
    target: target ?? 'node22',
    ...(mainFields ? { mainFields: [...mainFields] } : {}),
    minify: minify ?? false,
    keepNames: keepNames ?? false,
    external: [...(externalModules ?? [])],
    ...(banner ? { banner: { js: banner } } : {}),
    sourcemap: sourceMap ?? false,
    sourcesContent: sourcesContent ?? true,
    alias: Object.fromEntries(
      aliases.map((alias) => [alias.slice(0, alias.indexOf('=')), alias.slice(alias.indexOf('=') + 1)]),
    ),
  };
}

/**
 * Secure, observable defaults for a Node.js function: Graviton (arm64), Node.js 22, Powertools settings. Memory
 * and timeout are each function's own, in the manifest (lambda/manifest/functions.ts).
 */
export function defaultNodejsFunctionProps(): NodejsFunctionProps {
  return {
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    environment: {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: defaultBundlingOptions(),
  };
}

/**
 * Merges layers left to right (defaults, then user props, then the props the construct requires). `environment`
 * and `bundling` merge key by key, so overriding one variable or one bundling option keeps the others; a key set
 * to undefined keeps the value below it.
 */
export function mergeNodejsFunctionProps(...layers: readonly NodejsFunctionProps[]): NodejsFunctionProps {
  let merged: NodejsFunctionProps = {};
  for (const layer of layers) {
    merged = {
      ...merged,
      ...definedProps(layer),
      environment: { ...merged.environment, ...layer.environment },
      bundling: { ...merged.bundling, ...definedProps(layer.bundling) },
    };
  }
  return merged;
}
