import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../local/emulator.js';
import { type LocalModeProcess, startLocalModeProcess } from '../support/local-mode-process.js';
import { eventually, pipelineReader } from '../support/pipeline-reader.js';
import { type SignedFetchOptions, signedFetch } from '../support/signed-fetch.js';

const execFileAsync = promisify(execFile);
const curlAvailable = await execFileAsync('curl', ['--version']).then(
  () => true,
  () => false,
);

/** Resolves true when something listens on the URL's port, false when the connection is refused. */
const acceptsConnections = (url: string): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port), timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`Connecting to ${url} timed out`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? resolve(false) : reject(error),
    );
  });

// The first run in a fresh clone installs moto into .venv before the ready line.
const READY_TIMEOUT_MS = 170_000;
const SAMPLE_EVENT = JSON.stringify({
  eventSource: 'orders.example.com',
  eventName: 'CreateOrder',
  userIdentity: { type: 'IAMUser', userName: 'e2e' },
});

describe('local mode (npm start)', () => {
  let local: LocalModeProcess;
  let port: number;

  /** A request signed with the credentials local mode wrote to its config file. */
  const api = (path: string, init: Omit<SignedFetchOptions, 'credentials' | 'region'> = {}) =>
    signedFetch(new URL(path, local.config.apiUrl), {
      ...init,
      credentials: local.config.credentials,
      region: local.config.region,
    });

  beforeAll(async () => {
    port = await findFreePort();
    local = await startLocalModeProcess(
      // Local mode's Firehose writes after a second instead of the stack's minute.
      { OPENTRAIL_PORT: String(port), OPENTRAIL_ARCHIVE_BUFFER_SECONDS: '1' },
      READY_TIMEOUT_MS,
    );
  });

  afterAll(() => {
    local?.kill();
  });

  it('prints one ready line with the URL and writes the config file', () => {
    // Assess
    expect(local.readyLine).toBe(
      `OpenTrail local API ready at http://127.0.0.1:${port} (config: .opentrail/local.json)`,
    );
    expect(local.config).toEqual({
      apiUrl: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      awsEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      serviceEndpoints: {
        dynamodb: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        dynamodbstreams: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        firehose: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      },
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      producerCredentials: { accessKeyId: 'producer', secretAccessKey: 'producer' },
      readerCredentials: { accessKeyId: 'reader', secretAccessKey: 'reader' },
      bucketName: 'opentrail-archive',
      deliveryStreamName: 'opentrail-events',
      logGroupName: '/opentrail/events',
      archiveDlqUrl: expect.stringMatching(/\/opentrail-archive-dlq$/),
      logForwardDlqUrl: expect.stringMatching(/\/opentrail-log-forward-dlq$/),
      eventBusName: 'opentrail-insights',
      accountId: '000000000000',
      channelArn: 'arn:aws:cloudtrail:us-east-1:000000000000:channel/default',
      trailName: 'opentrail',
      trailArn: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/opentrail',
      s3Endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      firehoseEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      digestBucketName: 'opentrail-digests',
      digestKeyPrefix: '',
      digestIntervalSeconds: 3600,
      ledgerTableName: 'opentrail-ledger',
      deliveryQueueUrl: expect.stringMatching(/\/opentrail-archive-deliveries$/),
      signingKeyArn: expect.stringMatching(/^arn:aws:kms:us-east-1:123456789012:key\//),
    });
    // DynamoDB and its stream run on MiniStack, the rest on moto (docs/load.md).
    const { dynamodb, dynamodbstreams } = local.config.serviceEndpoints;
    expect(dynamodbstreams).toBe(dynamodb);
    expect(dynamodb).not.toBe(local.config.awsEndpoint);
  });

  it('refuses an unsigned request with 403 and MissingAuthenticationToken', async () => {
    // Act
    const response = await fetch(new URL('/events', local.config.apiUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: SAMPLE_EVENT,
      signal: AbortSignal.timeout(10_000),
    });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      code: 'MissingAuthenticationToken',
      message: 'Missing Authentication Token',
    });
  });

  it('refuses a request signed with the wrong secret with 403 and InvalidSignatureException', async () => {
    // Act
    const response = await signedFetch(new URL('/events', local.config.apiUrl), {
      method: 'POST',
      body: SAMPLE_EVENT,
      credentials: { accessKeyId: local.config.credentials.accessKeyId, secretAccessKey: 'wrong' },
      region: local.config.region,
    });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: 'InvalidSignatureException',
      message: expect.stringContaining('does not match'),
    });
  });

  it("answers an unknown route with API Gateway's 404 Not Found", async () => {
    // Act
    const response = await api('/no-such-route');

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('refuses a body over the request limit with 413 RequestTooLarge', async () => {
    // Act
    const response = await api('/events', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'RequestTooLarge' });
  });

  it('stores a signed put and finds it by lookup, by id and by each of its keys', async () => {
    // Prepare
    const event = {
      id: 'e2e-order-1',
      eventSource: 'orders.example.com',
      eventName: 'DeleteOrder',
      userIdentity: { type: 'IAMUser', userName: 'e2e-user', accessKeyId: 'AKIAE2E' },
      userAgent: 'aws-cli/2.15.0',
      resources: [{ ARN: 'arn:example:orders:::order/e2e-1', type: 'Order' }],
    };

    // Act
    const put = await api('/events', { method: 'POST', body: JSON.stringify({ events: [event, event] }) });
    const putBody = (await put.json()) as { successful: Array<{ eventID: string }>; failed: unknown[] };
    const eventID = putBody.successful[0]?.eventID ?? '';
    const byId = await api(`/events/${eventID}`);
    const lookups = await Promise.all(
      [
        'Username=e2e-user',
        'EventName=DeleteOrder',
        'ResourceName=arn%3Aexample%3Aorders%3A%3A%3Aorder%2Fe2e-1',
        'AccessKeyId=AKIAE2E&EventSource=orders.example.com&ReadOnly=false',
      ].map(
        async (query) => ((await (await api(`/events?${query}`)).json()) as { events: unknown[] }).events,
      ),
    );

    // Assess
    expect(put.status).toBe(200);
    expect(putBody.failed).toEqual([]);
    expect(putBody.successful.map((success) => success.eventID)).toEqual([eventID, eventID]);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toMatchObject({
      eventID,
      clientType: 'cli',
      readOnly: false,
      ingestion: { id: 'e2e-order-1' },
    });
    for (const events of lookups) {
      expect(events).toEqual([expect.objectContaining({ eventID })]);
    }
  });

  it('archives a put event as one JSON line of a gzip object under events/YYYY/MM/DD/HH/ and forwards it to the log group', async () => {
    // Prepare
    const reader = pipelineReader(local.config);
    const event = { ...JSON.parse(SAMPLE_EVENT), id: 'e2e-pipeline-1', eventName: 'ShipOrder' };

    try {
      // Act
      const put = await api('/events', { method: 'POST', body: JSON.stringify(event) });
      const { successful } = (await put.json()) as { successful: Array<{ eventID: string }> };
      const eventID = successful[0]?.eventID ?? '';
      const stored = await (await api(`/events/${eventID}`)).json();
      const hasEvent = (line: string) => (JSON.parse(line) as { eventID?: string }).eventID === eventID;
      const archived = await eventually(
        async () => (await reader.archiveLines(local.config.bucketName)).find(({ line }) => hasEvent(line)),
        'the event in the archive',
      );
      const logged = await eventually(
        async () => (await reader.logMessages(local.config.logGroupName)).find(hasEvent),
        'the event in the log group',
      );

      // Assess: the line is the stored record, the key its arrival hour (UTC).
      expect(put.status).toBe(200);
      expect(JSON.parse(archived.line)).toEqual(stored);
      expect(archived.key).toMatch(
        /^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/opentrail-events-1-[\d-]+-[0-9a-f-]{36}\.gz$/,
      );
      expect(JSON.parse(logged)).toEqual(stored);
      expect(await reader.receiveMessages(local.config.archiveDlqUrl)).toEqual([]);
      expect(await reader.receiveMessages(local.config.logForwardDlqUrl)).toEqual([]);
    } finally {
      reader.destroy();
    }
  });

  it('lets the producer pair of local.json put but not look up, and the reader pair the reverse', async () => {
    // Prepare
    const as = (pair: 'producerCredentials' | 'readerCredentials', path: string, method = 'GET') =>
      signedFetch(new URL(path, local.config.apiUrl), {
        method,
        ...(method === 'POST' ? { body: SAMPLE_EVENT } : {}),
        credentials: local.config[pair],
        region: local.config.region,
      });

    // Act
    const producerPut = await as('producerCredentials', '/events', 'POST');
    const { successful } = (await producerPut.json()) as { successful: Array<{ eventID: string }> };
    const eventID = successful[0]?.eventID ?? '';
    const producerGet = await as('producerCredentials', `/events/${eventID}`);
    const readerGet = await as('readerCredentials', `/events/${eventID}`);
    const readerPut = await as('readerCredentials', '/events', 'POST');

    // Assess
    expect(producerPut.status).toBe(200);
    expect(producerGet.status).toBe(403);
    expect(await producerGet.json()).toEqual({ message: 'Forbidden' });
    expect(readerGet.status).toBe(200);
    expect(await readerGet.json()).toMatchObject({
      eventID,
      ingestion: { producerArn: 'arn:aws:iam::000000000000:user/opentrail-producer' },
    });
    expect(readerPut.status).toBe(403);
  });

  it('answers a malformed put with 400 and a code', async () => {
    // Act
    const response = await api('/events', { method: 'POST', body: '{"events": "no"}' });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'InvalidRequest', message: expect.any(String) });
  });

  it.runIf(curlAvailable)('accepts requests signed by curl --aws-sigv4', async () => {
    // Prepare
    const curl = (...args: string[]) =>
      execFileAsync(
        'curl',
        [
          '--silent',
          '--max-time',
          '10',
          '--output',
          '/dev/null',
          '--write-out',
          '%{http_code}',
          '--aws-sigv4',
          `aws:amz:${local.config.region}:execute-api`,
          '--user',
          `${local.config.credentials.accessKeyId}:${local.config.credentials.secretAccessKey}`,
          ...args,
        ],
        { timeout: 15_000 },
      );

    // Act
    const put = await curl(
      '--header',
      'content-type: application/json',
      '--data-raw',
      SAMPLE_EVENT,
      `${local.config.apiUrl}/events`,
    );
    const lookup = await curl(`${local.config.apiUrl}/events?maxResults=5`);

    // Assess
    expect(put.stdout).toBe('200');
    expect(lookup.stdout).toBe('200');
  });

  it('has printed nothing on stdout but the ready line, even after handling requests', () => {
    // Assess
    expect(local.stdoutLines()).toEqual([local.readyLine]);
  });

  // Last: it ends the process the other tests use.
  it('stops the API and the emulator on SIGINT', async () => {
    // Prepare
    expect(await acceptsConnections(local.config.awsEndpoint)).toBe(true);

    // Act
    local.signal('SIGINT');
    const exit = await local.waitForExit(30_000);

    // Assess
    expect(exit.code === 0 || exit.signal === 'SIGINT', JSON.stringify(exit)).toBe(true);
    expect(local.stderrTail()).toContain('Local mode stopped');
    expect(await acceptsConnections(local.config.awsEndpoint)).toBe(false);
    expect(await acceptsConnections(local.config.apiUrl)).toBe(false);
  });
});

describe('local mode (npm start) with an ingest policy from the environment', () => {
  it('refuses to start on an invalid OPENTRAIL_SELECTORS, naming the problem', async () => {
    // Prepare
    const environment = {
      OPENTRAIL_PORT: String(await findFreePort()),
      OPENTRAIL_SELECTORS: JSON.stringify({ management: { read: 'yes' } }),
    };

    // Act
    const start = startLocalModeProcess(environment, 60_000);

    // Assess
    await expect(start).rejects.toThrow(
      /OpenTrail configuration is invalid: OPENTRAIL_SELECTORS: management\.read/,
    );
  });

  it('applies a valid OPENTRAIL_SELECTORS: a read is filtered, a write stored', async () => {
    // Prepare
    const local = await startLocalModeProcess(
      {
        OPENTRAIL_PORT: String(await findFreePort()),
        OPENTRAIL_SELECTORS: JSON.stringify({ management: { read: false } }),
      },
      READY_TIMEOUT_MS,
    );
    const event = (eventName: string) => ({ ...JSON.parse(SAMPLE_EVENT), eventName });

    try {
      // Act
      const put = await signedFetch(new URL('/events', local.config.apiUrl), {
        method: 'POST',
        body: JSON.stringify({ events: [event('GetOrder'), event('CancelOrder')] }),
        credentials: local.config.producerCredentials,
        region: local.config.region,
      });
      const result = (await put.json()) as {
        successful: Array<{ index: number }>;
        filtered: Array<{ index: number }>;
      };

      // Assess
      expect(put.status).toBe(200);
      expect(result.successful.map(({ index }) => index)).toEqual([1]);
      expect(result.filtered.map(({ index }) => index)).toEqual([0]);
    } finally {
      local.signal('SIGINT');
      await local.waitForExit(30_000).catch(() => undefined);
      local.kill();
    }
  });
});
