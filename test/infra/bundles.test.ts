import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../lambda/adapters/http.js';
import { routeKey, TRAIL_ROUTES } from '../../lambda/core/trail-routes.js';
import { FUNCTIONS, type FunctionName } from '../../lambda/manifest/functions.js';
import { BUNDLE_ALIASES, defaultBundlingOptions, esbuildOptionsOf } from '../../lib/defaults/lambda.js';
import { ACCOUNT_ID, sampleEvent, sampleRecord } from '../fixtures/events.js';
import { httpEvent, putRouteEvent } from '../fixtures/http.js';
import { streamRecord } from '../fixtures/stream.js';

/**
 * Every function bundled with the stack's esbuild options (aliases included), as CDK bundles it: each stand-in
 * provides every name a function imports, or the build fails. Then the API functions and a consumer of a client
 * with event-stream operations run in a fresh `node` process as Lambda runs them, against AWS stand-ins on a
 * loopback port: whatever the aliases replace, the functions still sign, send, parse answers and errors, and
 * validate events.
 */

const PRODUCER_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/producer`;

/**
 * The operations with an event stream in the SDK clients the functions use (their schemas mark the member
 * `streaming`): only these would reach the event-streams stand-in, so no bundle may hold one.
 */
const EVENT_STREAM_COMMANDS = ['SelectObjectContentCommand', 'StartLiveTailCommand', 'GetLogObjectCommand'];

interface AwsCall {
  readonly operation: string;
  readonly authorization: string;
  readonly body: Record<string, unknown>;
}

/** What the stand-in answers each operation with (JSON protocols): an empty success, unless a test sets a failure. */
const SUCCESS: Record<string, unknown> = {
  PutItem: {},
  GetItem: {},
  TransactWriteItems: {},
  BatchWriteItem: { UnprocessedItems: {} },
  BatchGetItem: { Responses: {}, UnprocessedKeys: {} },
  Query: { Items: [], Count: 0, ScannedCount: 0 },
  CreateLogStream: {},
  PutLogEvents: {},
};

let workDir: string;
let server: Server;
let endpoint: string;
const calls: AwsCall[] = [];
const failures = new Map<string, { status: number; type: string }>();
const bundles = new Map<FunctionName, { file: string; metafile: Metafile }>();

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'opentrail-bundles-'));
  for (const [name, spec] of Object.entries(FUNCTIONS) as Array<[FunctionName, { entry: string }]>) {
    const file = join(workDir, name, 'index.mjs');
    const { metafile } = await build({
      ...esbuildOptionsOf(defaultBundlingOptions()),
      entryPoints: [spec.entry],
      outfile: file,
      metafile: true,
      logLevel: 'silent',
    });
    bundles.set(name, { file, metafile });
  }
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target']).replace(/^[^.]*\./, '');
      calls.push({
        operation,
        authorization: String(request.headers.authorization),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      const failure = failures.get(operation);
      response.writeHead(failure?.status ?? 200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify(
          failure === undefined
            ? (SUCCESS[operation] ?? {})
            : { __type: `com.amazonaws.dynamodb.v20120810#${failure.type}`, message: 'from the stand-in' },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(workDir, { recursive: true, force: true });
});

/** Imports a bundle in a fresh `node` process with a Lambda-like environment and hands it `events`, in order. */
async function invoke<R>(
  name: FunctionName,
  events: readonly unknown[],
): Promise<{ results: R[]; logs: string }> {
  const bundle = bundles.get(name);
  if (bundle === undefined) throw new Error(`${name} was not built`);
  const resultsFile = join(workDir, `${name}-results.json`);
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});
const events = JSON.parse(process.env.TEST_EVENTS);
const context = { awsRequestId: 'bundle-test', functionName: ${JSON.stringify(name)}, getRemainingTimeInMillis: () => 15000 };
const results = [];
for (const event of events) results.push(await handler(event, context));
process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(resultsFile)}, JSON.stringify(results));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS: '--enable-source-maps',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
      AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
      AWS_SESSION_TOKEN: 'bundle-test-token',
      AWS_ENDPOINT_URL: endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      OPENTRAIL_TABLE_NAME: 'bundle-test',
      OPENTRAIL_TOKEN_SECRET: '0123456789abcdef0123',
      OPENTRAIL_LOG_GROUP_NAME: 'bundle-test',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TEST_EVENTS: JSON.stringify(events),
    },
  });
  // The function's log lines: Powertools writes errors to stderr, the rest to stdout.
  let logs = '';
  const collect = (chunk: Buffer): void => {
    logs += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${name} bundle exited with ${code}: ${logs}`);
  return { results: JSON.parse(await readFile(resultsFile, 'utf8')) as R[], logs };
}

const putEvent = (event: Record<string, unknown>): HttpEvent =>
  putRouteEvent('PutEvents', event, { channelArn: '', callerArn: PRODUCER_ARN });

interface Answer {
  readonly statusCode: number;
  readonly body: string;
}

const SIGNATURE = (service: string) =>
  new RegExp(
    `^AWS4-HMAC-SHA256 Credential=AKIDBUNDLETEST/\\d{8}/us-east-1/${service}/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$`,
  );

describe('the deployed bundles', () => {
  it('replace every aliased module and hold no event-stream operation when every function is bundled', () => {
    // Assess
    expect([...bundles.keys()]).toEqual(Object.keys(FUNCTIONS));
    for (const [name, { metafile }] of bundles) {
      // What the bundle holds: an input tree-shaken away entirely is listed with no bytes.
      const inputs = Object.values(metafile.outputs).flatMap((output) =>
        Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) =>
          bytesInOutput > 0 ? [input] : [],
        ),
      );
      const replaced = inputs.filter((input) =>
        Object.keys(BUNDLE_ALIASES).some((module) => input.includes(`node_modules/${module}/`)),
      );
      const eventStreamCommands = inputs.filter((input) =>
        EVENT_STREAM_COMMANDS.some((command) => input.endsWith(`/commands/${command}.js`)),
      );
      expect({ name, replaced, eventStreamCommands }).toEqual({
        name,
        replaced: [],
        eventStreamCommands: [],
      });
    }
  });

  it('store a valid event with signed DynamoDB calls and refuse an invalid one with its code when the ingest bundle runs', async () => {
    // Prepare
    calls.length = 0;
    failures.clear();
    const valid = putEvent(sampleEvent({ eventTime: new Date().toISOString() }));
    const invalid = putEvent(sampleEvent({ eventTime: new Date().toISOString(), eventName: 42 }));

    // Act
    const { results } = await invoke<Answer>('ingest', [valid, invalid]);

    // Assess
    const [stored, refused] = results;
    expect(stored?.statusCode).toBe(200);
    const storedBody = JSON.parse(String(stored?.body)) as { successful: Array<{ eventID: string }> };
    expect(storedBody.successful).toHaveLength(1);
    expect(storedBody.successful[0]?.eventID).toMatch(/^[0-9A-Z]{26}$/);
    expect(refused?.statusCode).toBe(200);
    expect(JSON.parse(String(refused?.body))).toMatchObject({
      successful: [],
      failed: [{ index: 0, errorCode: 'InvalidData', errorMessage: expect.stringContaining('eventName') }],
    });
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.authorization).toMatch(SIGNATURE('dynamodb'));
    expect(calls.find((call) => call.operation === 'BatchWriteItem')?.body).toMatchObject({
      RequestItems: { 'bundle-test': expect.any(Array) },
    });
  });

  it('queries the table and turns a DynamoDB error into its own answer when the lookup bundle runs', async () => {
    // Prepare
    calls.length = 0;
    failures.clear();
    const list = httpEvent({
      routeKey: routeKey(TRAIL_ROUTES.ListEvents),
      rawPath: TRAIL_ROUTES.ListEvents.path,
    });

    // Act
    const answered = await invoke<Answer>('lookup', [list]);
    failures.set('Query', { status: 400, type: 'ResourceNotFoundException' });
    const failed = await invoke<Answer>('lookup', [list]);

    // Assess
    expect(answered.results[0]?.statusCode).toBe(200);
    expect(JSON.parse(String(answered.results[0]?.body))).toMatchObject({ events: [] });
    expect(calls.map((call) => call.operation)).toContain('Query');
    expect(calls.find((call) => call.operation === 'Query')?.body).toMatchObject({
      TableName: 'bundle-test',
    });
    expect(failed.results[0]?.statusCode).toBe(500);
    expect(failed.logs).toContain('ResourceNotFoundException');
  });

  it('forwards a stored event to CloudWatch Logs when the log-forward bundle, whose client has event streams, runs', async () => {
    // Prepare
    calls.length = 0;
    failures.clear();
    const record = sampleRecord();

    // Act
    const { results } = await invoke<{ batchItemFailures: unknown[] }>('logForward', [
      { Records: [streamRecord(1, JSON.stringify(record))] },
    ]);

    // Assess
    expect(results[0]).toEqual({ batchItemFailures: [] });
    const put = calls.find((call) => call.operation === 'PutLogEvents');
    if (put === undefined) throw new Error('no PutLogEvents call');
    expect(put.authorization).toMatch(SIGNATURE('logs'));
    const { logGroupName, logEvents } = put.body as {
      logGroupName: string;
      logEvents: Array<{ message: string }>;
    };
    expect(logGroupName).toBe('bundle-test');
    expect(logEvents.map(({ message }) => JSON.parse(message) as { eventID: string })).toMatchObject([
      { eventID: record.eventID },
    ]);
  });
});
