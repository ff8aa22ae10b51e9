import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrailExpress } from '../../clients/typescript/src/express.js';
import { openTrailFastify } from '../../clients/typescript/src/fastify.js';
import { OpenTrailClient, type ProducerEvent, type TrailRecord } from '../../clients/typescript/src/index.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * @opentrail/client against local mode (issue 15): the SDK's batching and exactly-once retries through an outage,
 * the Express and Fastify middleware's events, and the CLI's round trip and refusals. Loopback only.
 */

const CLI = new URL('../../clients/typescript/dist/cli/main.js', import.meta.url).pathname;
const run = promisify(execFile);

/**
 * A TCP proxy in front of the API (test/support/fault-proxy.ts is an HTTP proxy that rewrites Host, which the
 * API's SigV4 check covers): 'refuse' drops every connection as it opens, 'lose' forwards the request and drops
 * the connection when the answer comes (the event is stored, the client never hears it).
 */
type ProxyMode = 'up' | 'refuse' | 'lose';
async function startTcpProxy(target: URL) {
  let mode: ProxyMode = 'up';
  let lost = 0;
  let refused = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode === 'refuse') {
      refused++;
      client.destroy();
      return;
    }
    const losing = mode === 'lose';
    const upstream = connect(Number(target.port), target.hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    if (losing) {
      upstream.once('data', () => {
        lost++;
        client.destroy();
      });
    } else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next: ProxyMode) {
      mode = next;
      // Kept-alive connections were opened under the old mode.
      for (const socket of open) socket.destroy();
    },
    counts: () => ({ lost, refused }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('@opentrail/client against local mode', () => {
  let local: LocalHandle;
  const runId = `clients${Date.now()}`;
  let reader: OpenTrailClient;

  const clientFor = (
    endpoint: string,
    options: Partial<ConstructorParameters<typeof OpenTrailClient>[0]> = {},
  ) =>
    new OpenTrailClient({
      endpoint,
      region: local.region,
      credentials: local.producerCredentials,
      lookupCredentials: local.readerCredentials,
      ...options,
    });

  const recordsOf = async (username: string): Promise<TrailRecord[]> => {
    const records: TrailRecord[] = [];
    for await (const record of reader.lookup({ Username: username, maxResults: 1000 })) records.push(record);
    return records;
  };

  /** Polls (bounded) until `count` records of the user are stored: the middleware records after answering. */
  const awaitRecords = async (username: string, count: number): Promise<TrailRecord[]> => {
    let records: TrailRecord[] = [];
    for (let attempt = 0; attempt < 100 && records.length < count; attempt++) {
      if (attempt > 0) await sleep(100);
      records = await recordsOf(username);
    }
    return records;
  };

  const event = (username: string, n: number): ProducerEvent => ({
    eventSource: 'orders.example.com',
    eventName: 'CreateOrder',
    userIdentity: { type: 'IAMUser', userName: username },
    requestParameters: { orderId: `o-${n}` },
  });

  beforeAll(async () => {
    local = await startLocal();
    reader = clientFor(local.apiUrl);
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('puts 5,000 events in at most 60 requests and every one is found', async () => {
    // Prepare
    const username = `${runId}-bulk`;
    const client = clientFor(local.apiUrl);

    // Act
    const results = await Promise.all(Array.from({ length: 5000 }, (_, n) => client.put(event(username, n))));
    await client.close();
    const records = await recordsOf(username);

    // Assess
    expect(client.stats()).toMatchObject({ stored: 5000, failed: 0, retries: 0 });
    expect(client.stats().requests).toBeLessThanOrEqual(60);
    expect(records).toHaveLength(5000);
    expect(new Set(records.map(({ eventID }) => eventID))).toEqual(
      new Set(results.map(({ eventID }) => eventID)),
    );
  }, 300_000);

  it('stores every event exactly once when the API refuses connections and loses answers for a while', async () => {
    // Prepare
    const username = `${runId}-outage`;
    const proxy = await startTcpProxy(new URL(local.apiUrl));
    const client = clientFor(proxy.url, {
      batch: { maxEvents: 20 },
      retry: { maxAttempts: 40, baseDelayMs: 50, maxDelayMs: 500 },
    });

    // Act: a first wave through a healthy API, a second one whose answers are lost, then refused connections.
    const first = await Promise.all(Array.from({ length: 200 }, (_, n) => client.put(event(username, n))));
    proxy.setMode('lose');
    const second = Array.from({ length: 200 }, (_, n) => client.put(event(username, 200 + n)));
    for (let wait = 0; wait < 200 && proxy.counts().lost < 2; wait++) await sleep(20);
    proxy.setMode('refuse');
    await sleep(3000);
    proxy.setMode('up');
    const results = [...first, ...(await Promise.all(second))];
    await client.close();
    await proxy.close();
    const records = await recordsOf(username);

    // Assess
    expect(proxy.counts().lost).toBeGreaterThanOrEqual(2);
    expect(proxy.counts().refused).toBeGreaterThan(0);
    expect(client.stats()).toMatchObject({ stored: 400, failed: 0 });
    expect(client.stats().retries).toBeGreaterThan(0);
    expect(records).toHaveLength(400);
    expect(new Set(records.map((record) => record.ingestion.id)).size).toBe(400);
    expect(new Set(records.map(({ eventID }) => eventID))).toEqual(
      new Set(results.map(({ eventID }) => eventID)),
    );
  }, 120_000);

  /** The three callers of the issue, with the clientType the trail derives from each user agent. */
  const CALLERS = [
    {
      agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
      clientType: 'console',
    },
    { agent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64', clientType: 'cli' },
    { agent: 'aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20.11.0', clientType: 'sdk' },
  ] as const;

  /** Calls an app as each caller, plus a 403 and a thrown error; returns the records the middleware produced. */
  const exercise = async (baseUrl: string, username: string) => {
    const call = (method: string, path: string, agent: string) =>
      fetch(new URL(path, baseUrl), { method, headers: { 'user-agent': agent, 'x-user': username } }).then(
        (response) => response.status,
      );
    const statuses = [
      ...(await Promise.all(CALLERS.map(({ agent }) => call('GET', '/orders/o-1', agent)))),
      await call('DELETE', '/orders/o-1', CALLERS[2].agent),
      await call('POST', '/orders', CALLERS[2].agent),
    ];
    return { statuses, records: await awaitRecords(username, 5) };
  };

  const assessMiddlewareRecords = (records: readonly TrailRecord[], username: string) => {
    const byAgent = (agent: string, name: string) =>
      records.find((record) => record.userAgent === agent && record.eventName === name);
    for (const { agent, clientType } of CALLERS) {
      expect(byAgent(agent, 'GET /orders/:id')).toMatchObject({
        clientType,
        readOnly: true,
        userIdentity: { userName: username },
        eventSource: 'shop.example.com',
      });
      expect(byAgent(agent, 'GET /orders/:id')?.errorCode).toBeUndefined();
    }
    expect(byAgent(CALLERS[2].agent, 'DELETE /orders/:id')).toMatchObject({
      readOnly: false,
      errorCode: 'AccessDenied',
      clientType: 'sdk',
    });
    expect(byAgent(CALLERS[2].agent, 'POST /orders')).toMatchObject({
      readOnly: false,
      errorCode: 'OrderStoreDown',
      errorMessage: 'the order store is down',
    });
    expect(records).toHaveLength(5);
  };

  const userFromHeader = (header: string | string[] | undefined) =>
    typeof header === 'string' ? { type: 'IAMUser', userName: header } : undefined;
  const broken = () => Object.assign(new Error('the order store is down'), { code: 'OrderStoreDown' });

  it('Express middleware records each request with its user, clientType, readOnly and errorCode', async () => {
    // Prepare
    const username = `${runId}-express`;
    const client = clientFor(local.apiUrl);
    const trail = openTrailExpress({
      client,
      eventSource: 'shop.example.com',
      user: (req) => userFromHeader(req.headers['x-user']),
    });
    const app = express();
    app.use(trail);
    app.get('/orders/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.delete('/orders/:id', (_req, res) => {
      res.status(403).json({ message: 'not yours' });
    });
    app.post('/orders', () => {
      throw broken();
    });
    app.use(trail.errors);
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });

    // Act
    const { statuses, records } = await exercise(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      username,
    );
    await client.close();
    await new Promise((resolve) => server.close(resolve));

    // Assess
    expect(statuses).toEqual([200, 200, 200, 403, 500]);
    assessMiddlewareRecords(records, username);
    expect(client.stats().dropped).toBe(0);
  });

  it('Fastify plugin records each request with its user, clientType, readOnly and errorCode', async () => {
    // Prepare
    const username = `${runId}-fastify`;
    const client = clientFor(local.apiUrl);
    const app = Fastify();
    await app.register(openTrailFastify, {
      client,
      eventSource: 'shop.example.com',
      user: (request) => userFromHeader(request.headers['x-user']),
    });
    app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.delete('/orders/:id', async (_request, reply) => reply.code(403).send({ message: 'not yours' }));
    app.post('/orders', async () => {
      throw broken();
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });

    // Act
    const { statuses, records } = await exercise(address, username);
    await client.close();
    await app.close();

    // Assess
    expect(statuses).toEqual([200, 200, 200, 403, 500]);
    assessMiddlewareRecords(records, username);
    expect(client.stats().dropped).toBe(0);
  });

  describe('the opentrail CLI', () => {
    let project: string;
    const cli = (args: readonly string[]) =>
      run(process.execPath, [CLI, ...args], { cwd: project }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    beforeAll(async () => {
      if (!existsSync(CLI))
        throw new Error(`${CLI} is missing: npm ci (or npm run build -w @opentrail/client) builds it`);
      project = await mkdtemp(join(tmpdir(), 'opentrail-cli-'));
      await mkdir(join(project, '.opentrail'));
      const { apiUrl, region, producerCredentials, readerCredentials } = local;
      await writeFile(
        join(project, '.opentrail', 'local.json'),
        JSON.stringify({ apiUrl, region, producerCredentials, readerCredentials }),
      );
    });

    afterAll(async () => {
      await rm(project, { recursive: true, force: true });
    });

    it('puts NDJSON and finds the same events with lookup --json', async () => {
      // Prepare
      const username = `${runId}-cli`;
      const events = Array.from({ length: 30 }, (_, n) => ({
        ...event(username, n),
        id: `${runId}-cli-${n}`,
      }));
      await writeFile(join(project, 'events.ndjson'), events.map((sent) => JSON.stringify(sent)).join('\n'));

      // Act
      const put = await cli(['put', 'events.ndjson']);
      const lookup = await cli(['lookup', '--username', username, '--all', '--json']);

      // Assess
      expect(put).toMatchObject({ code: 0, stdout: 'stored 30, filtered 0, failed 0\n' });
      expect(lookup.code).toBe(0);
      const records = JSON.parse(lookup.stdout) as TrailRecord[];
      expect(records.map((record) => record.ingestion.id).sort()).toEqual(events.map(({ id }) => id).sort());
    });

    it('exits 1 and lists the events the trail refused', async () => {
      // Prepare: the second event has no userIdentity.
      await writeFile(
        join(project, 'mixed.json'),
        JSON.stringify([
          event(`${runId}-cli-mixed`, 0),
          { eventSource: 'orders.example.com', eventName: 'X' },
        ]),
      );

      // Act
      const put = await cli(['put', 'mixed.json']);

      // Assess
      expect(put.code).toBe(1);
      expect(put.stdout).toBe('stored 1, filtered 0, failed 1\n');
      expect(put.stderr).toMatch(/^event 1: FieldNotFound: /m);
    });

    it('exits 2 with a clear message on bad flags and bad input', async () => {
      // Prepare
      await writeFile(join(project, 'broken.ndjson'), `${JSON.stringify(event('x', 0))}\n{"eventName": \n`);

      // Act
      const outcomes = await Promise.all([
        cli(['lookup', '--max', 'many']),
        cli(['lookup', '--start', 'yesterday']),
        cli(['lookup', '--read-only', 'maybe']),
        cli(['lookup', '--colour']),
        cli(['put', 'broken.ndjson']),
        cli(['put', 'no-such-file.json']),
      ]);

      // Assess
      expect(outcomes.map(({ code }) => code)).toEqual([2, 2, 2, 2, 2, 2]);
      const messages = outcomes.map(({ stderr }) => stderr);
      expect(messages[0]).toContain("option '--max <n>' argument 'many' is invalid");
      expect(messages[1]).toContain("'yesterday' is not a time");
      expect(messages[2]).toContain("expected 'true' or 'false'");
      expect(messages[3]).toContain("unknown option '--colour'");
      expect(messages[4]).toContain('line 2 is not JSON');
      expect(messages[5]).toContain('cannot read no-such-file.json');
    });
  });
});
