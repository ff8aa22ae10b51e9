import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of the emulator that fails chosen AWS calls, for fault-injection tests. Every
 * other request is forwarded unchanged. A call is named by its X-Amz-Target (e.g.
 * Firehose_20150804.PutRecordBatch).
 */
export interface FaultProxy {
  readonly url: string;
  /** How many calls were failed on purpose so far. */
  injected(): number;
  close(): Promise<void>;
}

export type FaultRule = (target: string, callNumber: number) => boolean;

const readBody = async (incoming: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function startFaultProxy(targetUrl: string, shouldFail: FaultRule): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const calls = new Map<string, number>();
  let injected = 0;
  const server: Server = createServer(async (incoming, outgoing) => {
    const body = await readBody(incoming);
    const amzTarget = String(incoming.headers['x-amz-target'] ?? '');
    const callNumber = (calls.get(amzTarget) ?? 0) + 1;
    calls.set(amzTarget, callNumber);
    if (amzTarget !== '' && shouldFail(amzTarget, callNumber)) {
      injected++;
      outgoing.writeHead(503, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': 'ServiceUnavailableException',
      });
      outgoing.end(
        JSON.stringify({ __type: 'ServiceUnavailableException', message: 'injected by the test' }),
      );
      return;
    }
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => {
      outgoing.writeHead(502);
      outgoing.end();
    });
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected: () => injected,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
