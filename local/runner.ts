import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createEventsTable } from '../lambda/adapters/table-admin.js';
import { TRAIL_ENV } from '../lambda/core/environment.js';
import { type MotoEmulator, startEmulator } from './emulator.js';
import { type RouteTarget, startHttpFront } from './http-front.js';
import { createSigV4Verifier } from './sigv4-verifier.js';

/**
 * Local mode: moto for the AWS side, the HTTP front for API Gateway, and the real handlers in this process,
 * configured through the same environment variables as in AWS.
 */

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface LocalOptions {
  /** Port of the API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** An emulator that is already running (tests share one); without it local mode starts its own. */
  readonly awsEndpoint?: string;
  /** @default 'opentrail-events' */
  readonly tableName?: string;
  /** Keys that may sign API requests; the same pair is used for the emulator. @default test/test */
  readonly credentials?: LocalCredentials;
  /** @default 90 */
  readonly retentionDays?: number;
  /** @default 16 */
  readonly writeShards?: number;
  /** Diagnostics (emulator output, one line per request); never stdout. @default drop them */
  readonly log?: (line: string) => void;
}

export interface LocalHandle {
  readonly apiUrl: string;
  readonly region: string;
  readonly awsEndpoint: string;
  readonly credentials: LocalCredentials;
  readonly tableName: string;
  /** Stops the API and, if local mode started it, the emulator. */
  stop(): Promise<void>;
}

/** Route key -> function: add a route here when a handler gains an endpoint. */
const loadRoutes = async (): Promise<Map<string, RouteTarget>> => {
  const ingest = await import('../lambda/handlers/ingest.js');
  const lookup = await import('../lambda/handlers/lookup.js');
  const ingestTarget: RouteTarget = { functionName: 'opentrail-ingest', handler: ingest.handler };
  const lookupTarget: RouteTarget = { functionName: 'opentrail-lookup', handler: lookup.handler };
  return new Map([
    ['POST /events', ingestTarget],
    ['GET /events', lookupTarget],
    ['GET /events/{eventId}', lookupTarget],
  ]);
};

/**
 * The handlers read their configuration once, at module load, and a module loads once per process. The
 * first configuration therefore sticks; a later start that needs another one would silently talk to the
 * wrong emulator or table, so it is refused.
 */
let loadedHandlerConfig: string | undefined;

export const startLocal = async (options: LocalOptions = {}): Promise<LocalHandle> => {
  const region = options.region ?? 'us-east-1';
  const tableName = options.tableName ?? 'opentrail-events';
  const credentials = options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' };
  const log = options.log ?? (() => {});

  const emulator: MotoEmulator | undefined =
    options.awsEndpoint === undefined ? await startEmulator({ log }) : undefined;
  const awsEndpoint = options.awsEndpoint ?? emulator?.url ?? '';
  try {
    const handlerEnvironment = {
      [TRAIL_ENV.tableName]: tableName,
      [TRAIL_ENV.retentionDays]: String(options.retentionDays ?? 90),
      [TRAIL_ENV.writeShards]: String(options.writeShards ?? 16),
      AWS_REGION: region,
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'opentrail',
    };
    const handlerConfig = JSON.stringify(handlerEnvironment);
    if (loadedHandlerConfig !== undefined && loadedHandlerConfig !== handlerConfig) {
      throw new Error('The handlers were already loaded in this process with another configuration');
    }
    const dynamodb = new DynamoDBClient({ region, endpoint: awsEndpoint, credentials });
    try {
      await createEventsTable(dynamodb, tableName);
    } finally {
      dynamodb.destroy();
    }

    Object.assign(process.env, handlerEnvironment, {
      // Only NextToken signing uses it; a fresh one per start invalidates tokens from an earlier run.
      [TRAIL_ENV.tokenSecret]: randomBytes(32).toString('base64url'),
    });
    const routes = await loadRoutes();
    loadedHandlerConfig = handlerConfig;

    const front = await startHttpFront({
      routes,
      verifySignature: createSigV4Verifier({ credentials: [credentials], region }),
      port: options.port ?? 0,
      region,
      log,
    });
    return {
      apiUrl: front.url,
      region,
      awsEndpoint,
      credentials,
      tableName,
      stop: async () => {
        try {
          await front.close();
        } finally {
          await emulator?.stop();
        }
      },
    };
  } catch (error) {
    await emulator?.stop();
    throw error;
  }
};
