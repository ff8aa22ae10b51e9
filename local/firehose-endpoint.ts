import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FIREHOSE_LIMITS } from '../lambda/core/pipeline.js';
import { type FirehoseDelivery, ServiceUnavailableError } from './firehose-delivery.js';

/**
 * A loopback Firehose endpoint for local mode's delivery streams: PutRecordBatch and PutRecord in awsJson1_1
 * (`X-Amz-Target: Firehose_20150804.<operation>`), answered as Firehose answers them, with its limits (500 records,
 * 1,000 KiB per record, 4 MiB per call) and its error types. Only the archive function in this process calls it;
 * requests are not signature-checked. Every other operation belongs to moto's Firehose (the control plane).
 */

export interface FirehoseEndpoint {
  readonly url: string;
  /** Stops taking requests; the streams' deliveries are closed by their owner. */
  close(): Promise<void>;
}

export interface FirehoseEndpointOptions {
  /** Delivery stream name -> its delivery. */
  readonly streams: ReadonlyMap<string, FirehoseDelivery>;
  readonly region: string;
  readonly accountId: string;
  readonly log?: (line: string) => void;
}

const TARGET_PREFIX = 'Firehose_20150804.';
/** A 4 MiB call is about 5.4 MiB of base64 in JSON. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

interface FirehoseError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

const error = (status: number, type: string, message: string): FirehoseError => ({ status, type, message });

export const startFirehoseEndpoint = async (options: FirehoseEndpointOptions): Promise<FirehoseEndpoint> => {
  const log = options.log ?? (() => {});
  const server = createServer((request, response) => {
    answer(request, options).then(
      (result) => write(response, result),
      (failure: unknown) => {
        log(`Local Firehose request failed: ${String(failure)}`);
        write(response, error(500, 'ServiceUnavailableException', 'The service is unavailable.'));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
};

const write = (response: ServerResponse, result: object | FirehoseError): void => {
  const failed = isError(result);
  const body = JSON.stringify(failed ? { __type: result.type, message: result.message } : result);
  response.writeHead(failed ? result.status : 200, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    ...(failed ? { 'x-amzn-errortype': result.type } : {}),
  });
  response.end(body);
};

const isError = (result: object): result is FirehoseError => 'type' in result && 'status' in result;

const answer = async (request: IncomingMessage, options: FirehoseEndpointOptions): Promise<object> => {
  const target = request.headers['x-amz-target'];
  const operation =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (request.method !== 'POST' || (operation !== 'PutRecordBatch' && operation !== 'PutRecord')) {
    request.resume();
    return error(
      400,
      'UnknownOperationException',
      `Local mode's Firehose endpoint serves PutRecordBatch and PutRecord only (got '${operation}')`,
    );
  }
  const body = await readBody(request);
  if (body === undefined) return error(413, 'InvalidArgumentException', 'The request is too large.');
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch {
    return error(400, 'SerializationException', 'The request body is not JSON.');
  }
  const { DeliveryStreamName: name } = (input ?? {}) as { DeliveryStreamName?: unknown };
  const delivery = typeof name === 'string' ? options.streams.get(name) : undefined;
  if (delivery === undefined) {
    return error(
      400,
      'ResourceNotFoundException',
      `Firehose ${String(name)} under account ${options.accountId} not found.`,
    );
  }
  const records =
    operation === 'PutRecord'
      ? [(input as { Record?: unknown }).Record]
      : (input as { Records?: unknown }).Records;
  const decoded = decodeRecords(records);
  if (typeof decoded === 'string') return error(400, 'InvalidArgumentException', decoded);
  try {
    delivery.accept(decoded);
  } catch (failure) {
    if (failure instanceof ServiceUnavailableError) return error(503, failure.name, failure.message);
    throw failure;
  }
  const recordIds = decoded.map(() => randomBytes(56).toString('base64'));
  return operation === 'PutRecord'
    ? { RecordId: recordIds[0], Encrypted: false }
    : { FailedPutCount: 0, Encrypted: false, RequestResponses: recordIds.map((RecordId) => ({ RecordId })) };
};

/** The records' bytes, or why the call breaks Firehose's limits. */
const decodeRecords = (records: unknown): Uint8Array[] | string => {
  if (!Array.isArray(records) || records.length === 0 || records.length > FIREHOSE_LIMITS.recordsPerCall) {
    return `Records must hold 1 to ${FIREHOSE_LIMITS.recordsPerCall} records.`;
  }
  const decoded: Uint8Array[] = [];
  let total = 0;
  for (const record of records) {
    const data = (record as { Data?: unknown } | null)?.Data;
    if (typeof data !== 'string') return 'Every record needs Data.';
    const bytes = Buffer.from(data, 'base64');
    if (bytes.byteLength > FIREHOSE_LIMITS.recordBytes) {
      return `A record is ${bytes.byteLength} bytes; at most ${FIREHOSE_LIMITS.recordBytes} are allowed.`;
    }
    total += bytes.byteLength;
    decoded.push(bytes);
  }
  if (total > FIREHOSE_LIMITS.bytesPerCall) {
    return `The call holds ${total} bytes; at most ${FIREHOSE_LIMITS.bytesPerCall} are allowed.`;
  }
  return decoded;
};

/** The body, or undefined past MAX_BODY_BYTES (the rest is drained). */
const readBody = async (request: IncomingMessage): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.byteLength;
    if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return bytes > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
};
