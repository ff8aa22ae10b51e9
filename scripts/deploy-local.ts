import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, runCommand } from '../local/emulator.js';
import { MINISTACK_CONTEXT, miniStackApiUrl, startMiniStack } from '../local/ministack.js';

/**
 * Deploys the OpenTrail stack to a LocalStack-compatible emulator with cdklocal (docs/deploy.md):
 *
 *   npm run deploy:ministack [-- -c key=value ...]    starts MiniStack from .venv (or uses AWS_ENDPOINT_URL),
 *                                                     deploys with MINISTACK_CONTEXT (-c athenaQueries=false),
 *                                                     prints the outputs and keeps MiniStack running
 *   npm run deploy:localstack [-- -c key=value ...]   deploys to the LocalStack at AWS_ENDPOINT_URL
 *   add `-- --destroy` to delete the stack from the emulator at AWS_ENDPOINT_URL instead
 *
 * Each run synthesizes into its own temporary cloud assembly, so it never touches cdk.out.
 */

export const STACK_NAME = 'OpenTrail';
/** Where `npm run deploy:ministack` writes the output of the MiniStack it starts, relative to the repository. */
const MINISTACK_LOG_FILE = '.opentrail/ministack.log';

export interface EmulatorTarget {
  /** The emulator's base URL, used as AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  /** @default AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment, else test/test */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default AWS_REGION from the environment, else us-east-1 */
  readonly region?: string;
  /** Receives the CDK CLI's output lines. @default drop them */
  readonly log?: (line: string) => void;
  /** @default the repository root */
  readonly projectRoot?: string;
}

export interface DeployOptions extends EmulatorTarget {
  /** Context values for the app, as `cdk deploy -c key=value` (bin/opentrail.ts reads them). */
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Directory to synthesize the cloud assembly into; the caller removes it (and can pass it to
   * `destroyInEmulator`, which then skips a second synth). @default a temporary directory, removed afterwards
   */
  readonly assemblyDir?: string;
}

export interface DeployedStack {
  /** The stack's outputs (ApiUrl, TableName, ArchiveBucketName, ...). */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Synthesizes the app, bootstraps the emulator's environment and deploys the stack; returns its outputs. */
export const deployToEmulator = async (options: DeployOptions): Promise<DeployedStack> => {
  const assembly = options.assemblyDir ?? (await mkdtemp(join(tmpdir(), 'opentrail-assembly-')));
  try {
    const contextArgs = Object.entries({ console: 'false', ...options.context }).flatMap(([key, value]) => [
      '-c',
      `${key}=${value}`,
    ]);
    await cdkLocal(options, ['synth', STACK_NAME, '--output', assembly, '--quiet', ...contextArgs]);
    await cdkLocal(options, ['bootstrap', '--app', assembly]);
    const outputsFile = join(assembly, 'outputs.json');
    await cdkLocal(options, [
      'deploy',
      STACK_NAME,
      '--app',
      assembly,
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
    ]);
    const outputs = JSON.parse(await readFile(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
    return { outputs: outputs[STACK_NAME] ?? {} };
  } finally {
    if (options.assemblyDir === undefined) await rm(assembly, { recursive: true, force: true });
  }
};

/**
 * Deletes the stack from the emulator (resources with a RETAIN policy stay, as in AWS). Without `assemblyDir`
 * (the one the deploy used) the CLI synthesizes the app again to find the stack.
 */
export const destroyInEmulator = (
  target: EmulatorTarget & { readonly assemblyDir?: string },
): Promise<void> =>
  cdkLocal(target, [
    'destroy',
    STACK_NAME,
    '--force',
    ...(target.assemblyDir === undefined ? [] : ['--app', target.assemblyDir]),
  ]);

/**
 * Runs cdklocal against the emulator. Both endpoint variables are set explicitly: cdklocal's default host needs
 * public DNS (NOTES.md 16).
 */
const cdkLocal = (target: EmulatorTarget, args: readonly string[]): Promise<void> => {
  const projectRoot = target.projectRoot ?? PROJECT_ROOT;
  const credentials = target.credentials ?? {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  const region = target.region ?? process.env.AWS_REGION ?? 'us-east-1';
  return runCommand(join(projectRoot, 'node_modules', '.bin', 'cdklocal'), [...args, '--no-notices'], {
    cwd: projectRoot,
    log: target.log ?? (() => {}),
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: target.endpoint,
      AWS_ENDPOINT_URL_S3: target.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      CDK_DISABLE_CLI_TELEMETRY: '1',
    },
  });
};

const USAGE =
  'Usage: tsx scripts/deploy-local.ts <ministack|localstack> [--destroy] [-c key=value ...]\n' +
  '  ministack   deploys to the MiniStack at AWS_ENDPOINT_URL, or starts one from .venv and keeps it running\n' +
  '  localstack  deploys to the LocalStack at AWS_ENDPOINT_URL (e.g. http://127.0.0.1:4566)\n' +
  '  --destroy   deletes the stack from the emulator at AWS_ENDPOINT_URL';

const parseContext = (values: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    values.map((value) => {
      const separator = value.indexOf('=');
      if (separator <= 0) throw new Error(`-c expects key=value, got "${value}"\n${USAGE}`);
      return [value.slice(0, separator), value.slice(separator + 1)];
    }),
  );

const printOutputs = (deployed: DeployedStack, endpoint: string, isMiniStack: boolean) => {
  for (const [key, value] of Object.entries(deployed.outputs)) console.log(`${key} = ${value}`);
  const apiUrl = deployed.outputs.ApiUrl;
  if (isMiniStack && apiUrl !== undefined) {
    console.log(`API on loopback (sign with service execute-api): ${miniStackApiUrl(endpoint, apiUrl)}`);
  }
  console.log(`AWS_ENDPOINT_URL=${endpoint}`);
};

const main = async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      destroy: { type: 'boolean', default: false },
      context: { type: 'string', short: 'c', multiple: true },
    },
  });
  const [emulator] = positionals;
  if (positionals.length !== 1 || (emulator !== 'ministack' && emulator !== 'localstack')) {
    throw new Error(USAGE);
  }
  const isMiniStack = emulator === 'ministack';
  const context = { ...(isMiniStack ? MINISTACK_CONTEXT : {}), ...parseContext(values.context ?? []) };
  const log = (line: string) => console.error(line);
  const endpoint = process.env.AWS_ENDPOINT_URL;

  if (endpoint !== undefined && endpoint !== '') {
    if (values.destroy) {
      await destroyInEmulator({ endpoint, log });
      console.log(`Deleted stack ${STACK_NAME} from ${endpoint}`);
      return;
    }
    printOutputs(await deployToEmulator({ endpoint, context, log }), endpoint, isMiniStack);
    return;
  }
  if (!isMiniStack || values.destroy) {
    throw new Error(`Set AWS_ENDPOINT_URL to the emulator's URL (e.g. http://127.0.0.1:4566)\n${USAGE}`);
  }

  // MiniStack's own output (function logs and errors included) goes to a file, the CLI's to stderr.
  await mkdir(join(PROJECT_ROOT, '.opentrail'), { recursive: true });
  const miniStackLog = createWriteStream(join(PROJECT_ROOT, MINISTACK_LOG_FILE));
  console.error(`Starting MiniStack from .venv (its log: ${MINISTACK_LOG_FILE}) ...`);
  const miniStack = await startMiniStack({ log: (line) => miniStackLog.write(`${line}\n`) });
  // Ctrl+C can arrive twice (from the terminal and relayed by tsx): every signal is handled, the first one stops.
  let stopping = false;
  const stopOnSignal = () => {
    if (stopping) return;
    stopping = true;
    void miniStack.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    printOutputs(
      await deployToEmulator({
        endpoint: miniStack.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        region: 'us-east-1',
        context,
        log,
      }),
      miniStack.url,
      true,
    );
  } catch (error) {
    await miniStack.stop();
    throw error;
  }
  console.log(
    'MiniStack keeps running with the stack deployed; press Ctrl+C to stop it (state is in memory).',
  );
};

if (resolve(process.argv[1] ?? '') === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
