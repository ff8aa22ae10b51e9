import { Duration } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lambda/adapters/env-credentials.js';
import {
  BUNDLE_ALIASES,
  defaultBundlingOptions,
  defaultNodejsFunctionProps,
  ESM_REQUIRE_BANNER,
  esbuildOptionsOf,
  mergeNodejsFunctionProps,
} from '../../lib/defaults/lambda.js';

/** A function's sizing from its manifest entry, the layer between the defaults and the user's props. */
const SIZING = { memorySize: 512, timeout: Duration.seconds(15) };

describe('Lambda defaults', () => {
  it('bundles one minified ES module with source maps and the SDK when defaults apply', () => {
    // Act
    const { bundling } = defaultNodejsFunctionProps();

    // Assess
    expect(bundling).toMatchObject({
      format: OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      keepNames: false,
      externalModules: [],
      banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    });
    expect(bundling?.banner).toBe(ESM_REQUIRE_BANNER);
  });

  it('leaves the sources out of the source maps and swaps the credential chain, node:process, event streams and node:crypto for lean stand-ins', () => {
    // Act
    const bundling = defaultBundlingOptions();

    // Assess
    expect(bundling.sourcesContent).toBe(false);
    expect(bundling.esbuildArgs).toEqual({
      '--alias': [
        '@aws-sdk/credential-provider-node=./lambda/adapters/env-credentials.ts',
        'node:process=./lambda/adapters/node-process.ts',
        '@smithy/core/event-streams=./lambda/adapters/stubs/event-streams.ts',
        'node:crypto=./lambda/adapters/stubs/node-crypto.ts',
      ],
    });
  });

  it("gives the bundles node:crypto's own functions where they alias it", async () => {
    // Prepare
    const crypto = await import('node:crypto');

    // Act
    const standIn = await import('../../lambda/adapters/stubs/node-crypto.js');

    // Assess
    for (const [name, value] of Object.entries(standIn))
      expect({ name, value }).toEqual({ name, value: crypto[name as keyof typeof crypto] });
  });

  it('fails an event-stream operation with a clear error and leaves other clients as they were where the bundles alias event streams', async () => {
    // Prepare
    const config = { region: 'us-east-1' };

    // Act
    const standIn = await import('../../lambda/adapters/stubs/event-streams.js');

    // Assess
    expect(standIn.resolveEventStreamSerdeConfig(config)).toBe(config);
    expect(() => standIn.eventStreamSerdeProvider()).toThrow(/leave out AWS SDK event streams/);
    expect(() => new standIn.EventStreamSerde()).toThrow(/leave out AWS SDK event streams/);
  });

  it("gives the bundles process's own env and versions where they alias node:process", async () => {
    // Act
    const standIn = await import('../../lambda/adapters/node-process.js');

    // Assess
    expect(standIn.env).toBe(process.env);
    expect(standIn.versions).toBe(process.versions);
  });

  it('gives builds outside CDK the same esbuild options, and refuses an option it cannot translate', () => {
    // Act
    const options = esbuildOptionsOf(defaultBundlingOptions());

    // Assess
    expect(options).toMatchObject({
      format: 'esm',
      minify: true,
      keepNames: false,
      sourcemap: true,
      sourcesContent: false,
      banner: { js: ESM_REQUIRE_BANNER },
      alias: BUNDLE_ALIASES,
    });
    expect(() => esbuildOptionsOf({ ...defaultBundlingOptions(), define: { X: '1' } })).toThrow(/define/);
  });

  it("reads Lambda's credentials from the environment where the bundles alias the chain", async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLAMBDA');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDLAMBDA',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    vi.unstubAllEnvs();
  });

  it('lets user props win over defaults and required props win over both when layers are merged', () => {
    // Prepare
    const defaults = defaultNodejsFunctionProps();
    const user = { memorySize: 1024, environment: { POWERTOOLS_LOG_LEVEL: 'DEBUG', TABLE: 'user' } };
    const required = { handler: 'handler', environment: { TABLE: 'required' } };

    // Act
    const merged = mergeNodejsFunctionProps(defaults, user, required);

    // Assess
    expect(merged).toMatchObject({ memorySize: 1024, handler: 'handler', runtime: Runtime.NODEJS_22_X });
    expect(merged.environment).toEqual({
      POWERTOOLS_SERVICE_NAME: 'opentrail',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      NODE_OPTIONS: '--enable-source-maps',
      TABLE: 'required',
    });
  });

  it('keeps the other bundling options when a user overrides one of them', () => {
    // Act
    const merged = mergeNodejsFunctionProps(defaultNodejsFunctionProps(), {
      bundling: { minify: false },
    });

    // Assess
    expect(merged.bundling).toMatchObject({
      minify: false,
      format: OutputFormat.ESM,
      banner: ESM_REQUIRE_BANNER,
    });
  });

  it('keeps the default when a user sets a key to undefined', () => {
    // Act
    const merged = mergeNodejsFunctionProps(defaultNodejsFunctionProps(), SIZING, {
      memorySize: undefined,
      timeout: undefined,
    });

    // Assess
    expect(merged.memorySize).toBe(512);
    expect(merged.timeout?.toSeconds()).toBe(15);
  });
});
