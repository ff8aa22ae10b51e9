import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVirtualEnv, PROJECT_ROOT, startOnFreePort, startServerProcess } from './emulator.js';

/**
 * MiniStack (PyPI `ministack`, pinned in requirements.txt): a LocalStack-compatible emulator that runs
 * CloudFormation, Node.js Lambdas as local processes, HTTP APIs, stream mappings and schedules without Docker.
 * The deploy test and `npm run deploy:ministack` deploy the synthesized stack to it (docs/deploy.md); local mode
 * runs DynamoDB and its stream on it, about 3x moto's speed per call (docs/load.md,
 * test/integration/ministack-dynamodb.test.ts checks its answers against moto's).
 */

export interface MiniStack {
  /** Base URL, e.g. http://127.0.0.1:54321; use it as AWS_ENDPOINT_URL. */
  readonly url: string;
  /** Stops the server with its Lambda workers and removes its temporary files; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartMiniStackOptions {
  /** @default the repository root */
  readonly projectRoot?: string;
  /** Receives MiniStack's and pip's output lines; they never go to stdout. @default drop them */
  readonly log?: (line: string) => void;
  /** @default 60 000 ms */
  readonly readyTimeoutMs?: number;
  /** Serve only these services (MiniStack's SERVICES, e.g. `dynamodb`). @default every service */
  readonly services?: readonly string[];
  /** The account its resources' ARNs name, for credentials that are not an account id. @default 000000000000 */
  readonly accountId?: string;
}

/**
 * Context every MiniStack deploy gets (`-c key=value`): MiniStack 1.5.33 rejects AWS::Athena::NamedQuery
 * ("Template format error: Unrecognized resource types"), so the saved queries are left out; the Glue table and
 * everything else deploy as in AWS. A value the user passes with -c comes later and wins.
 */
export const MINISTACK_CONTEXT: Readonly<Record<string, string>> = { athenaQueries: 'false' };

/** Starts MiniStack from `.venv` (installing requirements.txt first when needed) on a free loopback port. */
export const startMiniStack = async (options: StartMiniStackOptions = {}): Promise<MiniStack> => {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const log = options.log ?? (() => {});
  await ensureVirtualEnv(projectRoot, log);
  const command = join(projectRoot, '.venv', 'bin', 'ministack');
  return startOnFreePort(async (port) => {
    // MiniStack unpacks each function's code into the temp directory and keeps keys in its state directory;
    // both live in this one, which goes away with the server.
    const scratch = await mkdtemp(join(tmpdir(), 'opentrail-ministack-'));
    const removeScratch = () => rm(scratch, { recursive: true, force: true });
    const url = `http://127.0.0.1:${port}`;
    try {
      const server = await startServerProcess({
        name: 'MiniStack',
        command,
        args: [],
        env: {
          ...process.env,
          GATEWAY_PORT: String(port),
          BIND_HOST: '127.0.0.1',
          TMPDIR: scratch,
          // Its state directory defaults to /tmp/ministack-state, shared by every MiniStack on the machine.
          STATE_DIR: join(scratch, 'state'),
          // The IAM evaluator stays off: with AUTH=true the CDK CLI cannot publish assets, because the bootstrap
          // role's S3 grant is conditioned on aws:ResourceAccount, a key 1.5.33 does not set (docs/deploy.md).
          AUTH: 'false',
          // Otherwise it listens for IoT MQTT on 0.0.0.0:8883, which OpenTrail does not use and a second
          // MiniStack could not bind.
          IOT_MTLS_ENABLED: '0',
          ...(options.services === undefined ? {} : { SERVICES: options.services.join(',') }),
          ...(options.accountId === undefined ? {} : { MINISTACK_ACCOUNT_ID: options.accountId }),
        },
        cwd: scratch,
        url,
        readyPath: '/_ministack/health',
        readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
        log,
      });
      return {
        url,
        stop: async () => {
          await server.stop();
          await removeScratch();
        },
      };
    } catch (error) {
      await removeScratch();
      throw error;
    }
  });
};

/**
 * The URL MiniStack serves a deployed HTTP API's `$default` stage on. The stack's ApiUrl output names the AWS
 * host (`https://<apiId>.execute-api.<region>.amazonaws.com/`); MiniStack also answers on its own port under
 * `/_aws/execute-api/<apiId>/<stage>/`, which needs no DNS.
 */
export const miniStackApiUrl = (endpoint: string, apiUrl: string): string => {
  const apiId = /^https?:\/\/([a-z0-9]+)\.execute-api\./.exec(apiUrl)?.[1];
  if (apiId === undefined) throw new Error(`Not an API Gateway URL: ${apiUrl}`);
  return new URL(`/_aws/execute-api/${apiId}/$default/`, endpoint).href;
};
