import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HttpFront, type HttpFrontOptions, startHttpFront } from '../../../local/http-front.js';
import { LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES } from '../../../local/lambda-invoke.js';
import { createSigV4Verifier } from '../../../local/sigv4-verifier.js';
import { type SigningOptions, sendRaw, signForFront } from './http-front-client.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDSTRICT', secretAccessKey: 'strict-secret' };

/** A local mode front whose every difference from API Gateway a test here would have passed by. */
describe('HTTP front, as strict as API Gateway and Lambda', () => {
  let events: APIGatewayProxyEventV2WithIAMAuthorizer[];
  let nextResult: () => Promise<APIGatewayProxyStructuredResultV2>;
  const started: HttpFront[] = [];

  const start = async (overrides: Partial<HttpFrontOptions> = {}): Promise<HttpFront> => {
    const front = await startHttpFront({
      routes: new Map([
        ['POST /events', { functionName: 'ingest', handler: async (event) => record(event) }],
        ['GET /events/{eventId}', { functionName: 'lookup', handler: async (event) => record(event) }],
      ]),
      verifySignature: createSigV4Verifier({
        credentials: [CREDENTIALS],
        region: REGION,
        services: ['execute-api', 'cloudtrail', 'cloudtrail-data'],
      }),
      port: 0,
      region: REGION,
      ...overrides,
    });
    started.push(front);
    return front;
  };
  const record = (event: APIGatewayProxyEventV2WithIAMAuthorizer) => {
    events.push(event);
    return nextResult();
  };
  const signed = (front: HttpFront, options: Omit<SigningOptions, 'credentials' | 'region'>) =>
    signForFront(front.url, { credentials: CREDENTIALS, region: REGION, ...options });

  let front: HttpFront;

  beforeAll(async () => {
    front = await start();
  });

  afterAll(async () => {
    await Promise.all(started.map((each) => each.close()));
  });

  beforeEach(() => {
    events = [];
    nextResult = async () => ({ statusCode: 200, body: '{}' });
  });

  describe('slow clients and connection floods', () => {
    /**
     * Writes the request a byte every 100 ms for at most 10 s; resolves with what the front sent and when the
     * connection ended (or undefined if it was still open after 10 s).
     */
    const trickle = async (
      url: string,
      request: string,
    ): Promise<{ reply: string; endedAfterMs?: number }> => {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      const startedAt = Date.now();
      let reply = '';
      let endedAfterMs: number | undefined;
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString('utf8');
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        endedAfterMs = Date.now() - startedAt;
      });
      for (let index = 0; index < 100 && endedAfterMs === undefined; index += 1) {
        if (index < request.length && socket.writable) socket.write(request[index] ?? '');
        await sleep(100);
      }
      socket.destroy();
      return endedAfterMs === undefined ? { reply } : { reply, endedAfterMs };
    };

    it.each([
      {
        part: 'body',
        request: `POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n${'x'.repeat(500)}`,
      },
      {
        part: 'headers',
        request: `GET /events/e1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'y'.repeat(500)}`,
      },
    ])(
      'answers 408 and closes a connection whose $part trickles past the request timeout',
      async ({ request }) => {
        // Prepare
        const slowFront = await start({ requestTimeoutMs: 1_500 });

        // Act
        const { reply, endedAfterMs } = await trickle(slowFront.url, request);

        // Assess: cut off within the timeout plus Node's 1 s check interval, never invoked.
        expect(reply).toMatch(/^HTTP\/1\.1 408 /);
        expect(endedAfterMs).toBeDefined();
        expect(endedAfterMs).toBeLessThan(4_000);
        expect(events).toHaveLength(0);
      },
    );

    it('closes connections past the cap on arrival and serves again once they are gone', async () => {
      // Prepare
      const logs: string[] = [];
      const cappedFront = await start({ maxConnections: 2, log: (line) => logs.push(line) });
      const { hostname, port } = new URL(cappedFront.url);
      const sockets: Socket[] = [];
      const closed = new Set<number>();

      try {
        // Act: three idle connections, one after the other.
        for (let index = 0; index < 3; index += 1) {
          const socket = connect(Number(port), hostname);
          socket.on('error', () => {});
          socket.on('close', () => closed.add(index));
          await once(socket, 'connect');
          sockets.push(socket);
          await sleep(100);
        }
        await sleep(500);
        const closedWhileFull = [...closed];
        for (const socket of sockets) socket.destroy();
        await sleep(200);
        const afterwards = await sendRaw(cappedFront.url, await signed(cappedFront, { path: '/events/e1' }));

        // Assess
        expect(closedWhileFull).toEqual([2]);
        expect(afterwards.status).toBe(200);
        expect(logs.filter((line) => line.includes('Connection cap of 2'))).toHaveLength(1);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  });

  describe('x-amz-security-token', () => {
    it.each([
      { kind: 'signed', signToken: true },
      { kind: 'unsigned', signToken: false },
    ])(
      'refuses a $kind session token the front never issued with 403, without invoking',
      async ({ signToken }) => {
        // Prepare: local credentials are long-term keys; any token is one IAM would not recognise.
        const request = signToken
          ? await signForFront(front.url, {
              path: '/events/e1',
              credentials: { ...CREDENTIALS, sessionToken: 'bogus-token' },
              region: REGION,
            })
          : await signed(front, { path: '/events/e1' });
        const headers = signToken
          ? request.headers
          : { ...request.headers, 'x-amz-security-token': 'bogus-token' };

        // Act
        const answer = await sendRaw(front.url, { ...request, headers });

        // Assess
        expect(answer.status).toBe(403);
        expect(answer.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
        expect(JSON.parse(answer.body)).toMatchObject({
          message: 'The security token included in the request is invalid.',
        });
        expect(events).toHaveLength(0);
      },
    );
  });

  describe('repeated signature headers', () => {
    it('refuses a second, junk Authorization header with 403, without invoking', async () => {
      // Prepare: a correctly signed request; Node would hand the front both values joined with ', '.
      const request = await signed(front, { path: '/events/e1' });

      // Act
      const answer = await sendRaw(front.url, {
        ...request,
        headers: { ...request.headers, authorization: [request.headers.authorization ?? '', 'junk'] },
      });

      // Assess
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'IncompleteSignatureException' });
      expect(events).toHaveLength(0);
    });
  });

  describe('routing on the path as sent', () => {
    it.each(['//events', '/events/', '/%65vents', '/events//', '/Events'])(
      'answers a correctly signed POST %s with 404 {"message":"Not Found"}',
      async (path) => {
        // Prepare
        const request = await signed(front, { method: 'POST', path, body: '{}' });

        // Act
        const answer = await sendRaw(front.url, request);

        // Assess
        expect(answer.status).toBe(404);
        expect(JSON.parse(answer.body)).toEqual({ message: 'Not Found' });
        expect(events).toHaveLength(0);
      },
    );

    it('reads a large body sent to an unknown route before its 404, so the client is not reset', async () => {
      // Prepare: 4 MB, within API Gateway's 10 MB payload limit, to a route that does not exist.
      const body = new Uint8Array(4 * 1024 * 1024).fill(120);

      // Act
      const answers = await Promise.all(
        [1, 2, 3].map(() => sendRaw(front.url, { method: 'POST', target: '/no-such-route', body })),
      );

      // Assess
      expect(answers.map(({ status, body: text }) => `${status} ${text}`)).toEqual(
        Array(3).fill('404 {"message":"Not Found"}'),
      );
    });

    it.each([
      { path: '/events/abc%20123', eventId: 'abc 123' },
      { path: '/events/a%2Fb', eventId: 'a/b' },
      { path: '/events/%65', eventId: 'e' },
    ])('percent-decodes the path variable of $path', async ({ path, eventId }) => {
      // Act
      const answer = await sendRaw(front.url, await signed(front, { path }));

      // Assess
      expect(answer.status).toBe(200);
      expect(events[0]).toMatchObject({ rawPath: path, pathParameters: { eventId } });
    });
  });

  describe('the console, for pages of this origin only', () => {
    it.each([
      { host: (port: string) => `127.0.0.1:${port}`, status: 200 },
      { host: (port: string) => `localhost:${port}`, status: 200 },
      { host: (port: string) => `attacker.example:${port}`, status: 403 },
      { host: () => '127.0.0.1:1', status: 403 },
    ])('answers the reader keys in config.json with $status by Host', async ({ host, status }) => {
      // Prepare
      const root = await mkdtemp(join(tmpdir(), 'opentrail-console-'));
      const site = await start({ console: { root, config: () => ({ credentials: 'reader keys' }) } });
      const { port } = new URL(site.url);

      // Act
      const answer = await sendRaw(site.url, {
        target: '/console/config.json',
        headers: { host: host(port) },
      });

      // Assess
      expect(answer.status).toBe(status);
      expect(answer.body.includes('reader keys')).toBe(status === 200);
      await rm(root, { recursive: true, force: true });
    });

    it.each([
      { target: '/console', location: '/console/' },
      {
        target: '/console?insight=abc&EventName=Run%20Instances',
        location: '/console/?insight=abc&EventName=Run%20Instances',
      },
    ])('redirects $target to $location, keeping the query', async ({ target, location }) => {
      // Prepare
      const root = await mkdtemp(join(tmpdir(), 'opentrail-console-'));
      const site = await start({ console: { root, config: () => ({}) } });
      const { host } = new URL(site.url);

      // Act
      const answer = await sendRaw(site.url, { target, headers: { host } });

      // Assess
      expect(answer.status).toBe(308);
      expect(answer.headers.location).toBe(location);
      await rm(root, { recursive: true, force: true });
    });
  });

  describe("Lambda's 6 MB synchronous payload limits", () => {
    it('refuses an event over 6 MB with 413 {"message":"Request Entity Too Large"}, without invoking', async () => {
      // Prepare: a body API Gateway takes (under 10 MB) whose event is over Lambda's limit.
      const bigFront = await start({ maxBodyBytes: 8 * 1024 * 1024 });
      const body = JSON.stringify({ data: 'x'.repeat(LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES) });

      // Act
      const answer = await sendRaw(
        bigFront.url,
        await signed(bigFront, { method: 'POST', path: '/events', body }),
      );

      // Assess
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ message: 'Request Entity Too Large' });
      expect(events).toHaveLength(0);
    });

    it('counts a binary body as the base64 the event carries', async () => {
      // Prepare: 4.8 MB of bytes that are not UTF-8 become 6.4 MB of base64.
      const bigFront = await start({ maxBodyBytes: 8 * 1024 * 1024 });
      const body = new Uint8Array(4_800_000).fill(0xff);

      // Act
      const answer = await sendRaw(
        bigFront.url,
        await signed(bigFront, { method: 'POST', path: '/events', body }),
      );

      // Assess
      expect(answer.status).toBe(413);
      expect(events).toHaveLength(0);
    });

    it('answers a function response over 6 MB with 500 {"message":"Internal Server Error"}', async () => {
      // Prepare
      nextResult = async () => ({ statusCode: 200, body: 'x'.repeat(LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES) });

      // Act
      const answer = await sendRaw(front.url, await signed(front, { path: '/events/e1' }));

      // Assess
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ message: 'Internal Server Error' });
    });

    it('still passes a response just under the limit', async () => {
      // Prepare: the JSON result adds {"statusCode":200,"body":""} around the body.
      nextResult = async () => ({ statusCode: 200, body: 'x'.repeat(LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES - 64) });

      // Act
      const answer = await sendRaw(front.url, await signed(front, { path: '/events/e1' }));

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toHaveLength(LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES - 64);
    });
  });

  describe('signing names AWS refuses', () => {
    it("accepts the CloudTrail clients' signing names but logs, once, that API Gateway refuses them", async () => {
      // Prepare
      const logs: string[] = [];
      const loggedFront = await start({ log: (line) => logs.push(line) });
      const callAs = async (service: string) =>
        sendRaw(loggedFront.url, await signed(loggedFront, { path: '/events/e1', service }));

      // Act
      const answers = [
        await callAs('execute-api'),
        await callAs('cloudtrail'),
        await callAs('cloudtrail-data'),
        await callAs('cloudtrail'),
      ];

      // Assess
      expect(answers.map(({ status }) => status)).toEqual([200, 200, 200, 200]);
      const warnings = logs.filter((line) => line.includes("accepts 'execute-api' only"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("signed its request as 'cloudtrail'");
    });
  });

  describe('timeouts', () => {
    const slowHandler = () =>
      new Promise<APIGatewayProxyStructuredResultV2>((resolve) => {
        setTimeout(() => resolve({ statusCode: 200 }), 3_000).unref();
      });

    it("answers a route whose function times out (the manifest's 1 s) with Lambda's function error, 500", async () => {
      // Prepare: the integration timeout stays 30 s; the function's own is 1 s.
      const timedFront = await start({
        routes: new Map([
          ['GET /events/{eventId}', { functionName: 'lookup', handler: slowHandler, timeoutMs: 1_000 }],
        ]),
      });
      const startedAt = Date.now();

      // Act
      const answer = await sendRaw(timedFront.url, await signed(timedFront, { path: '/events/e1' }));

      // Assess
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ message: 'Internal Server Error' });
      expect(Date.now() - startedAt).toBeLessThan(2_500);
    });

    it('answers 503 {"message":"Service Unavailable"} when the integration timeout comes first', async () => {
      // Prepare
      const timedFront = await start({
        routes: new Map([
          ['GET /events/{eventId}', { functionName: 'lookup', handler: slowHandler, timeoutMs: 10_000 }],
        ]),
        handlerTimeoutMs: 1_000,
      });

      // Act
      const answer = await sendRaw(timedFront.url, await signed(timedFront, { path: '/events/e1' }));

      // Assess
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toEqual({ message: 'Service Unavailable' });
    });
  });
});
