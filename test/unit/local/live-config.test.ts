import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLiveLocalMode, readLocalConfig } from '../../../local/live-config.js';

let dir: string;
let server: Server;
let liveUrl: string;
let requests = 0;

/** Writes a local.json describing `config` and returns its path. */
async function configFile(name: string, config: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opentrail-live-config-'));
  // A fake local mode: it refuses unsigned requests, as the real front does.
  server = createServer((_request, response) => {
    requests++;
    response
      .writeHead(403, { 'content-type': 'application/json' })
      .end('{"message":"Missing Authentication Token"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  liveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('findLiveLocalMode', () => {
  it('answers the local mode the file describes when its API answers, whatever the status', async () => {
    // Prepare
    const config = {
      apiUrl: liveUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    };
    const file = await configFile('live.json', config);

    // Act
    const found = await findLiveLocalMode({ file });

    // Assess
    expect(found).toEqual(config);
  });

  it('answers nothing when the described API no longer listens', async () => {
    // Prepare: a port that was just free.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    const file = await configFile('gone.json', { apiUrl: `http://127.0.0.1:${port}` });

    // Act / Assess
    expect(await findLiveLocalMode({ file })).toBeUndefined();
  });

  it('answers nothing, within its timeout, when the API accepts the connection but never answers', async () => {
    // Prepare
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const file = await configFile('silent.json', {
      apiUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    });

    // Act
    const started = Date.now();
    const found = await findLiveLocalMode({ file, timeoutMs: 200 });

    // Assess
    expect(found).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('sends nothing to an apiUrl that is not loopback', async () => {
    // Prepare
    const before = requests;
    const file = await configFile('remote.json', { apiUrl: 'http://192.0.2.1:3000' });

    // Act / Assess
    expect(await findLiveLocalMode({ file })).toBeUndefined();
    expect(requests).toBe(before);
  });

  it.each([
    ['a missing file', undefined],
    ['a file that is not JSON', '{not json'],
    ['a file without apiUrl', { region: 'us-east-1' }],
  ])('answers nothing for %s', async (_case, contents) => {
    const file = contents === undefined ? join(dir, 'missing.json') : await configFile('bad.json', contents);
    expect(await readLocalConfig(file)).toBeUndefined();
    expect(await findLiveLocalMode({ file })).toBeUndefined();
  });
});
