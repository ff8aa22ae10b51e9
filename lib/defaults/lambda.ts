import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SERVICE_NAME } from '../../lambda/manifest/functions.js';
import { definedProps } from '../props-merge.js';

/** Lets CommonJS dependencies bundled into an ES module call `require` (esbuild issue 1921). */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * Bundles the handler and its dependencies, the AWS SDK included, into one minified ES module with source maps.
 * Bundling the SDK pins its version and lets esbuild tree-shake it (NOTES.md item 11).
 */
export function defaultBundlingOptions(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    // Prefer the ES module build of each package so tree-shaking works.
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    keepNames: true,
    externalModules: [],
    banner: ESM_REQUIRE_BANNER,
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
