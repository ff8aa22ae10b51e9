import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** One call through the proxy, as a fault plan sees it. */
export interface ProxiedCall {
  /** X-Amz-Target, or '' for REST-style calls (S3). */
  readonly target: string;
  /** 1 for the first call with this target since the proxy started (or since the plan was last set). */
  readonly callNumber: number;
  readonly body: Buffer;
}

/** What the proxy does to a call instead of forwarding it as it is. */
export type Fault =
  /** Answers with an AWS JSON error, as the service does when it throttles or fails. */
  | { readonly kind: 'error'; readonly status: number; readonly errorType: string }
  /** Drops the connection without forwarding: the emulator is down. */
  | { readonly kind: 'reset' }
  /** Forwards (so the call takes effect) and drops the connection before the answer: the answer is lost. */
  | { readonly kind: 'reset-after-forward' }
  /** Holds the call, then forwards it: a slow or stalled service that still applies the call in the end. */
  | { readonly kind: 'delay'; readonly ms: number }
  /**
   * DynamoDB BatchWriteItem only: forwards the put requests `withhold` refuses to keep and answers the withheld
   * ones as UnprocessedItems, as DynamoDB does when it throttles part of a batch.
   */
  | { readonly kind: 'unprocessed'; readonly withhold: (item: DynamoItem) => boolean };

/** A DynamoDB item in its wire form ({ name: { S: ... } }). */
export type DynamoItem = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export type FaultPlan = (call: ProxiedCall) => Fault | undefined;

export interface ScriptedFaultProxy extends FaultProxy {
  /** Replaces the plan for the calls that follow, and counts calls from 1 again. */
  setPlan(plan: FaultPlan): void;
  /** Calls seen with this target since the plan was last set. */
  calls(target: string): number;
}

const readBody = async (incoming: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const SERVICE_UNAVAILABLE: Fault = { kind: 'error', status: 503, errorType: 'ServiceUnavailableException' };

export async function startFaultProxy(targetUrl: string, shouldFail: FaultRule): Promise<FaultProxy> {
  return startScriptedFaultProxy(targetUrl, ({ target, callNumber }) =>
    target !== '' && shouldFail(target, callNumber) ? SERVICE_UNAVAILABLE : undefined,
  );
}

/** A fault proxy whose plan decides, call by call, which fault (if any) each call meets. */
export async function startScriptedFaultProxy(
  targetUrl: string,
  initialPlan: FaultPlan,
): Promise<ScriptedFaultProxy> {
  const target = new URL(targetUrl);
  let plan = initialPlan;
  let calls = new Map<string, number>();
  let injected = 0;

  /** Sends the request on to the emulator; resolves with its status, headers and body. */
  const forward = (incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const { 'transfer-encoding': _chunked, ...sent } = incoming.headers;
      const headers = { ...sent, host: target.host, 'content-length': String(body.length) };
      const forwarded = request(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
        (response) => {
          readBody(response).then(
            (answer) =>
              resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
            reject,
          );
        },
      );
      forwarded.on('error', reject);
      forwarded.end(body);
    });

  const reply = (
    outgoing: ServerResponse,
    status: number,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ) => {
    if (outgoing.destroyed) return;
    // The body is sent whole, so its length replaces any chunked encoding.
    const { 'transfer-encoding': _chunked, ...kept } = headers;
    outgoing.writeHead(status, { ...kept, 'content-length': String(body.length) });
    outgoing.end(body);
  };

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    const body = await readBody(incoming);
    const amzTarget = String(incoming.headers['x-amz-target'] ?? '');
    const callNumber = (calls.get(amzTarget) ?? 0) + 1;
    calls.set(amzTarget, callNumber);
    const fault = plan({ target: amzTarget, callNumber, body });
    if (fault !== undefined) injected++;
    switch (fault?.kind) {
      case 'error':
        reply(
          outgoing,
          fault.status,
          { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': fault.errorType },
          Buffer.from(JSON.stringify({ __type: fault.errorType, message: 'injected by the test' })),
        );
        return;
      case 'reset':
        incoming.socket.destroy();
        return;
      case 'reset-after-forward':
        await forward(incoming, body).catch(() => undefined);
        incoming.socket.destroy();
        return;
      case 'delay':
        await sleep(fault.ms);
        break;
      case 'unprocessed':
        await forwardPartially(incoming, outgoing, body, fault.withhold);
        return;
      default:
        break;
    }
    const answer = await forward(incoming, body);
    reply(outgoing, answer.status, answer.headers, answer.body);
  };

  /** BatchWriteItem with some put requests kept back and answered as UnprocessedItems. */
  const forwardPartially = async (
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    body: Buffer,
    withhold: (item: DynamoItem) => boolean,
  ): Promise<void> => {
    type WriteRequest = { PutRequest?: { Item: DynamoItem } };
    const parsed = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, WriteRequest[]> };
    const kept: Record<string, WriteRequest[]> = {};
    const withheld: Record<string, WriteRequest[]> = {};
    for (const [table, requests] of Object.entries(parsed.RequestItems)) {
      for (const writeRequest of requests) {
        const item = writeRequest.PutRequest?.Item;
        const bucket = item !== undefined && withhold(item) ? withheld : kept;
        bucket[table] = [...(bucket[table] ?? []), writeRequest];
      }
    }
    let unprocessed: Record<string, WriteRequest[]> = {};
    let status = 200;
    let headers: IncomingMessage['headers'] = { 'content-type': 'application/x-amz-json-1.0' };
    if (Object.keys(kept).length > 0) {
      const answer = await forward(incoming, Buffer.from(JSON.stringify({ ...parsed, RequestItems: kept })));
      if (answer.status !== 200) {
        reply(outgoing, answer.status, answer.headers, answer.body);
        return;
      }
      status = answer.status;
      headers = answer.headers;
      unprocessed =
        (JSON.parse(answer.body.toString('utf8')) as { UnprocessedItems?: typeof unprocessed })
          .UnprocessedItems ?? {};
    }
    for (const [table, requests] of Object.entries(withheld)) {
      unprocessed[table] = [...(unprocessed[table] ?? []), ...requests];
    }
    // The body changed: DynamoDB's CRC32 of the original answer would no longer match.
    const { 'x-amz-crc32': _crc, ...answerHeaders } = headers;
    reply(outgoing, status, answerHeaders, Buffer.from(JSON.stringify({ UnprocessedItems: unprocessed })));
  };

  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => {
      if (!outgoing.headersSent && !outgoing.destroyed) {
        outgoing.writeHead(502);
        outgoing.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected: () => injected,
    setPlan: (next) => {
      plan = next;
      calls = new Map();
    },
    calls: (amzTarget) => calls.get(amzTarget) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
