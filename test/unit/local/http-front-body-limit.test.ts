import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../../local/http-front.js';
import type { SigV4Verifier } from '../../../local/sigv4-verifier.js';

const MB = 1024 * 1024;
const ATTEMPTS = 5;
const REFUSAL = { code: 'RequestTooLarge', message: `Request body exceeds ${1024 * 1024 + 64 * 1024} bytes` };

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly connection: string | undefined;
}

/**
 * The client runs in its own process, as the CLI and the demo do: sharing the front's event loop would hide the
 * race (the front closing while the client is still writing) that resets uploads. It sends each body once per
 * attempt on a new connection, either in one write or in 64 KiB writes that wait for drain (a streaming client),
 * and prints one line per attempt: the answer, or the socket error.
 */
const CLIENT = `
const { request } = require('node:http');
const [url, bytes, attempts, mode] = process.argv.slice(1);
const post = (size) => new Promise((resolve) => {
  const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-length': String(size) } }, (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
  });
  outgoing.on('error', (error) => resolve({ error: error.code ?? error.message }));
  if (mode === 'one write') { outgoing.end(Buffer.alloc(size, 'x')); return; }
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
      sent += piece.length;
      if (!outgoing.write(piece)) { outgoing.once('drain', pump); return; }
    }
    outgoing.end();
  };
  pump();
});
(async () => {
  for (let attempt = 0; attempt < Number(attempts); attempt += 1) console.log(JSON.stringify(await post(Number(bytes))));
})();
`;

type Outcome = { readonly status: number; readonly body: string } | { readonly error: string };

const postFromAnotherProcess = async (url: string, bytes: number, mode: string): Promise<Outcome[]> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-e', CLIENT, new URL('/events', url).href, String(bytes), String(ATTEMPTS), mode],
    { timeout: 50_000 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Outcome);
};

/** Sends from this process, on the given agent's connections; resolves with the answer and the socket used. */
const post = (url: string, body: Buffer, agent: Agent): Promise<Answer & { readonly socket: Socket }> =>
  new Promise((resolve, reject) => {
    const outgoing = request(new URL('/events', url), { method: 'POST', agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          connection: response.headers.connection,
          socket: response.socket,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });

describe('HTTP front on oversized bodies (API Gateway answers 413, never resets)', () => {
  let front: HttpFront;
  let verified: number;
  let invoked: number;

  const verifySignature: SigV4Verifier = async () => {
    verified += 1;
    return {
      ok: true,
      signingService: 'execute-api',
      caller: {
        accessKeyId: 'AKIDTEST',
        accountId: '000000000000',
        userArn: 'arn:aws:iam::000000000000:user/test',
        userId: 'LOCALTEST',
      },
    };
  };

  beforeAll(async () => {
    front = await startHttpFront({
      routes: new Map([
        [
          'POST /events',
          {
            functionName: 'ingest',
            handler: async (event) => {
              invoked += 1;
              return { statusCode: 200, body: String(event.body?.length ?? 0) };
            },
          },
        ],
      ]),
      verifySignature,
      port: 0,
      region: 'us-east-1',
    });
  });

  afterAll(async () => {
    await front.close();
  });

  beforeEach(() => {
    verified = 0;
    invoked = 0;
  });

  it.each(
    [3, 5, 9, 11].flatMap((megabytes) => [
      { megabytes, mode: 'one write' },
      { megabytes, mode: '64 KiB writes' },
    ]),
  )(
    'answers a $megabytes MB body sent in $mode with the 413 RequestTooLarge JSON every time, never a reset',
    {
      timeout: 60_000,
    },
    async ({ megabytes, mode }) => {
      // Act
      const outcomes = await postFromAnotherProcess(front.url, megabytes * MB, mode);

      // Assess
      expect(outcomes).toEqual(
        Array.from({ length: ATTEMPTS }, () => ({ status: 413, body: JSON.stringify(REFUSAL) })),
      );
      expect(verified).toBe(0);
      expect(invoked).toBe(0);
    },
  );

  it('keeps the connection after refusing a body it read to the end, and closes it past the 10 MB payload limit', async () => {
    // Prepare
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    try {
      // Act
      const refused = await post(front.url, Buffer.alloc(5 * MB, 'x'), agent);
      const accepted = await post(front.url, Buffer.from('{"eventName":"CreateOrder"}'), agent);
      const overLimit = await post(front.url, Buffer.alloc(11 * MB, 'x'), agent);

      // Assess
      expect(refused).toMatchObject({ status: 413, connection: 'keep-alive' });
      expect(accepted).toMatchObject({ status: 200, body: '27' });
      expect(accepted.socket).toBe(refused.socket);
      expect(overLimit).toMatchObject({ status: 413, connection: 'close', body: JSON.stringify(REFUSAL) });
    } finally {
      agent.destroy();
    }
  });

  it('still hands a body at the limit, whole, to the handler', async () => {
    // Prepare
    const agent = new Agent();

    // Act
    const answer = await post(front.url, Buffer.alloc(1024 * 1024 + 64 * 1024, 'x'), agent);
    agent.destroy();

    // Assess
    expect(answer).toMatchObject({ status: 200, body: String(1024 * 1024 + 64 * 1024) });
    expect(verified).toBe(1);
    expect(invoked).toBe(1);
  });
});
