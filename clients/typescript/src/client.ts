import { randomUUID } from 'node:crypto';
import { ClientClosedError, EventRejectedError, OpenTrailError } from './errors.js';
import type { ProducerEvent, TrailRecord } from './generated/schema-types.js';
import { findLocalFile, LOCAL_FILE, readLocalFile } from './local-config.js';
import { type BatchLimits, BatchQueue, batchBody, type QueuedEvent, type QueueLimits } from './queue.js';
import {
  HELD_RESEND_MS,
  isRetryableStatus,
  positiveOrZero,
  RETRYABLE_EVENT_CODES,
  type RetryOptions,
  type RetryPolicy,
  retryDelayMs,
  retryPolicy,
  sleep,
} from './retry.js';
import {
  type Credentials,
  type CredentialsProvider,
  createSigner,
  fetchTransport,
  type Transport,
  type TransportResponse,
} from './transport.js';
import { schemaProblems } from './validate.js';

export interface OpenTrailClientOptions {
  /** The API's URL (the stack's ApiUrl output, or local mode's apiUrl). */
  readonly endpoint: string | URL;
  /** @default the region in an execute-api host name, else AWS_REGION, else AWS_DEFAULT_REGION */
  readonly region?: string;
  /** @default the AWS SDK's default chain: environment, profile, SSO, container and instance roles */
  readonly credentials?: Credentials | CredentialsProvider;
  /** Credentials for lookups, when readers and producers are different principals. @default credentials */
  readonly lookupCredentials?: Credentials | CredentialsProvider;
  /** @default 'execute-api' */
  readonly signingName?: string;
  readonly batch?: BatchLimits;
  readonly queue?: QueueLimits;
  /** Requests in flight at once. @default 4 */
  readonly maxConcurrency?: number;
  readonly retry?: RetryOptions;
  /** Check each event against the producer schema before queueing it. @default false */
  readonly validate?: boolean;
  /** Per attempt. @default 30 000 */
  readonly timeoutMs?: number;
  /** @default fetch */
  readonly transport?: Transport;
  /** Told about every event record() could not deliver (they are counted in stats().dropped too). */
  readonly onDrop?: (error: Error) => void;
}

export interface PutResult {
  /** The trail's id of the stored event (or of the filtered one, which is not stored). */
  readonly eventID: string;
  /** The idempotency id the event was sent with: the caller's, or the one the client generated. */
  readonly id: string;
  /** True when no selector of the trail keeps the event: it was answered but not stored. */
  readonly filtered: boolean;
}

export interface ClientStats {
  /** Events queued or in flight. */
  readonly held: number;
  readonly heldBytes: number;
  /** HTTP requests made, retries included. */
  readonly requests: number;
  /** Requests that were attempts after the first (throttled, 5xx, network error, per-event retryable). */
  readonly retries: number;
  readonly stored: number;
  readonly filtered: number;
  /** put() promises rejected (refused by the trail, queue full, retries exhausted). */
  readonly failed: number;
  /** Events record() could not deliver. */
  readonly dropped: number;
}

/** GET /events's parameters; several attributes at once mean AND. */
export interface LookupFilters {
  readonly EventId?: string;
  readonly EventName?: string;
  readonly ReadOnly?: boolean;
  readonly Username?: string;
  readonly ResourceType?: string;
  readonly ResourceName?: string;
  readonly EventSource?: string;
  readonly AccessKeyId?: string;
  /** 'insight' for insight events instead of API events. */
  readonly EventCategory?: 'insight';
  /** Inclusive. @default the retention window's start */
  readonly startTime?: Date | string;
  /** Inclusive. @default now */
  readonly endTime?: Date | string;
  /** Records per page, 1..1000. @default 50 (the API's) */
  readonly maxResults?: number;
  /** Resume from a page a previous lookup stopped at. */
  readonly nextToken?: string;
}

export interface LookupPage {
  readonly events: TrailRecord[];
  readonly nextToken?: string;
}

const EVENT_ID_PATTERN = /^[-_A-Za-z0-9]{1,128}$/;
const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

type Signer = ReturnType<typeof createSigner>;

/** The default chain, loaded on first use: most of its providers are never needed by a given process. */
const defaultChain = (): CredentialsProvider => {
  let provider: Promise<CredentialsProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-providers').then(({ fromNodeProviderChain }) =>
      fromNodeProviderChain(),
    );
    return (await provider)();
  };
};

/** The error an answer carries: native `{code, message}`, API Gateway's `{message}` and x-amzn-errortype. */
const answerError = (response: TransportResponse): OpenTrailError => {
  let code = response.headers['x-amzn-errortype']?.split(':')[0];
  let message = `HTTP ${response.status}`;
  try {
    const body = JSON.parse(response.body) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON: the status says enough.
  }
  return new OpenTrailError(code ?? `Http${response.status}`, message, response.status);
};

interface PutAnswer {
  readonly successful?: readonly { index: number; eventID: string }[];
  readonly filtered?: readonly { index: number; eventID: string }[];
  readonly failed?: readonly {
    index: number;
    errorCode: string;
    errorMessage: string;
    retryAfterSeconds?: number;
  }[];
}

/**
 * A producer's and reader's client for an OpenTrail API. put() batches, signs, retries and keeps every event's
 * idempotency id across retries, so each event is stored once; lookup() pages through GET /events.
 */
export class OpenTrailClient {
  private readonly endpoint: URL;
  private readonly putSigner: Signer;
  private readonly lookupSigner: Signer;
  private readonly transport: Transport;
  private readonly retry: RetryPolicy;
  private readonly queue: BatchQueue<PutResult>;
  private closed = false;
  private counts = { requests: 0, retries: 0, stored: 0, filtered: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: OpenTrailClientOptions) {
    this.endpoint = new URL(options.endpoint);
    const region =
      options.region ??
      EXECUTE_API_HOST.exec(this.endpoint.hostname)?.[1] ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION;
    if (region === undefined) {
      throw new OpenTrailError(
        'MissingRegion',
        'no region: pass `region`, or set AWS_REGION, or use the execute-api URL',
      );
    }
    const service = options.signingName ?? 'execute-api';
    const credentials = options.credentials ?? defaultChain();
    this.putSigner = createSigner({ region, service, credentials });
    this.lookupSigner =
      options.lookupCredentials === undefined
        ? this.putSigner
        : createSigner({ region, service, credentials: options.lookupCredentials });
    this.transport = options.transport ?? fetchTransport(options.timeoutMs ?? 30_000);
    this.retry = retryPolicy(options.retry);
    this.queue = new BatchQueue(
      (events) => this.sendBatch(events),
      options.batch,
      options.queue,
      options.maxConcurrency,
    );
  }

  /**
   * A client for the local mode `npm start` runs: puts with its producer pair, lookups with its reader pair.
   * @param path the local mode file; @default the nearest .opentrail/local.json from the working directory up
   */
  static async fromLocal(
    path?: string,
    options: Omit<OpenTrailClientOptions, 'endpoint' | 'region' | 'credentials' | 'lookupCredentials'> = {},
  ): Promise<OpenTrailClient> {
    const file = path ?? (await findLocalFile());
    if (file === undefined) {
      throw new OpenTrailError(
        'NoLocalMode',
        `no ${LOCAL_FILE} here or above: start local mode with npm start`,
      );
    }
    const local = await readLocalFile(file);
    return new OpenTrailClient({
      ...options,
      endpoint: local.apiUrl,
      region: local.region,
      credentials: local.producerCredentials,
      lookupCredentials: local.readerCredentials,
    });
  }

  /**
   * Queues the event; resolves when the batch carrying it is answered. Rejects with EventRejectedError (the
   * trail's errorCode and errorMessage), QueueFullError (the cap is reached: nothing waits), ClientClosedError,
   * or OpenTrailError when the request failed after every retry.
   */
  put(event: ProducerEvent): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        this.counts.failed++;
        reject(error);
      };
      try {
        this.enqueue(event, resolve, fail);
      } catch (error) {
        fail(error as Error);
      }
    });
  }

  /** Checks, serializes and queues one event; throws what put() rejects with. */
  private enqueue(
    event: ProducerEvent,
    resolve: (result: PutResult) => void,
    reject: (error: Error) => void,
  ): void {
    if (this.closed) throw new ClientClosedError();
    const id = event.id ?? randomUUID();
    if (!EVENT_ID_PATTERN.test(id)) {
      throw new EventRejectedError('InvalidData', `id must match ${EVENT_ID_PATTERN.source}`, id);
    }
    const sent = { ...event, id };
    const problems = this.options.validate === true ? schemaProblems(sent) : undefined;
    if (problems !== undefined) throw new EventRejectedError('InvalidData', problems, id);
    const json = JSON.stringify(sent);
    this.queue.enqueue({ id, json, bytes: Buffer.byteLength(json), resolve, reject });
  }

  /**
   * Fire and forget, for code that must not wait or fail (the middleware): the event is put, and a failure is
   * counted in stats().dropped and told to onDrop instead of thrown. `build` may be the event or a function
   * making it; an error making it counts as a drop too.
   */
  record(build: ProducerEvent | (() => ProducerEvent | Promise<ProducerEvent>)): void {
    Promise.resolve()
      .then(() => (typeof build === 'function' ? build() : build))
      .then((event) => this.put(event))
      .catch((error: unknown) => {
        this.counts.dropped++;
        this.options.onDrop?.(error instanceof Error ? error : new Error(String(error)));
      });
  }

  /** Sends every queued event now; resolves when all events held so far are answered (each put() has its own outcome). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Refuses further puts and flushes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  stats(): ClientStats {
    const held = this.queue.held();
    return { ...this.counts, held: held.events, heldBytes: held.bytes };
  }

  /** Every record matching `filters`, newest first, across pages. */
  async *lookup(filters: LookupFilters = {}): AsyncIterable<TrailRecord> {
    for await (const page of this.pages(filters)) yield* page.events;
  }

  /** The pages of a lookup, for callers that keep the nextToken (to resume, or to stop after a page). */
  async *pages(filters: LookupFilters = {}): AsyncIterable<LookupPage> {
    let nextToken = filters.nextToken;
    do {
      const url = new URL('events', this.base());
      for (const [name, value] of Object.entries({ ...filters, nextToken })) {
        if (value === undefined) continue;
        url.searchParams.set(name, value instanceof Date ? value.toISOString() : String(value));
      }
      const response = await this.send(this.lookupSigner, 'GET', url);
      if (response.status !== 200) throw answerError(response);
      const page = JSON.parse(response.body) as LookupPage;
      yield page;
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  }

  /** One record by its eventID, or undefined when the trail has none. */
  async get(eventId: string): Promise<TrailRecord | undefined> {
    const url = new URL(`events/${encodeURIComponent(eventId)}`, this.base());
    const response = await this.send(this.lookupSigner, 'GET', url);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw answerError(response);
    return JSON.parse(response.body) as TrailRecord;
  }

  /** The endpoint as a base for relative paths (a stage path such as /prod is kept). */
  private base(): URL {
    return new URL(this.endpoint.pathname.endsWith('/') ? this.endpoint : `${this.endpoint.href}/`);
  }

  /** One request, retried after throttling, 5xx and network errors; signed anew each attempt (fresh date). */
  private async send(signer: Signer, method: string, url: URL, body?: string): Promise<TransportResponse> {
    let retryAfterMs = 0;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        this.counts.retries++;
        await sleep(retryDelayMs(this.retry, attempt - 1, retryAfterMs));
      }
      const request = await signer(method, url, body);
      this.counts.requests++;
      try {
        const response = await this.transport(request);
        if (!isRetryableStatus(response.status) || attempt >= this.retry.maxAttempts) return response;
        // Retry-After in its delay-seconds form, as the trail sends it; an HTTP date is left to the backoff.
        retryAfterMs = positiveOrZero(Number(response.headers['retry-after'])) * 1000;
      } catch (error) {
        retryAfterMs = 0;
        if (attempt >= this.retry.maxAttempts) {
          throw new OpenTrailError(
            'NetworkError',
            `${method} ${url.pathname} failed after ${attempt} attempts: ${(error as Error).message}`,
            undefined,
            { cause: error },
          );
        }
      }
    }
  }

  /**
   * Sends one batch and answers each event; events the trail could not take yet (Throttling, InternalFailure)
   * are sent again with the same ids, so the trail stores each once whatever attempt it first took. An event
   * whose id an earlier attempt holds (`retryAfterSeconds`) is resent, at least a second apart, until the trail
   * stores it or the id is free, even past maxAttempts: giving up sooner would reject an event the trail may
   * store a moment later.
   */
  private async sendBatch(events: QueuedEvent<PutResult>[]): Promise<void> {
    const url = new URL('events', this.base());
    const holds = new Map<QueuedEvent<PutResult>, { firstHeldAt: number; until: number }>();
    const isHeld = (event: QueuedEvent<PutResult>, now: number) => now < (holds.get(event)?.until ?? 0);
    let pending = events;
    for (let round = 1; pending.length > 0; round++) {
      let response: TransportResponse;
      try {
        response = await this.send(this.putSigner, 'POST', url, batchBody(pending));
      } catch (error) {
        for (const event of pending) event.reject(error as Error);
        return;
      }
      if (response.status !== 200) {
        const error = answerError(response);
        for (const event of pending) event.reject(error);
        return;
      }
      const answer = JSON.parse(response.body) as PutAnswer;
      const unanswered = new Set(pending);
      const answered = (index: number) => {
        const event = pending[index];
        if (event === undefined || !unanswered.delete(event)) return undefined;
        return event;
      };
      const again: QueuedEvent<PutResult>[] = [];
      const now = Date.now();
      for (const [list, filtered] of [
        [answer.successful, false],
        [answer.filtered, true],
      ] as const) {
        for (const { index, eventID } of list ?? []) {
          const event = answered(index);
          if (event === undefined) continue;
          this.counts[filtered ? 'filtered' : 'stored']++;
          event.resolve({ eventID, id: event.id, filtered });
        }
      }
      for (const failure of answer.failed ?? []) {
        const { index, errorCode, errorMessage } = failure;
        const event = answered(index);
        if (event === undefined) continue;
        const heldForMs = positiveOrZero(failure.retryAfterSeconds) * 1000;
        if (heldForMs > 0) {
          const firstHeldAt = holds.get(event)?.firstHeldAt ?? now;
          const until = Math.min(firstHeldAt + this.retry.maxRetryAfterMs, now + heldForMs);
          holds.set(event, { firstHeldAt, until });
        }
        if (RETRYABLE_EVENT_CODES.has(errorCode) && (round < this.retry.maxAttempts || isHeld(event, now)))
          again.push(event);
        else event.reject(new EventRejectedError(errorCode, errorMessage, event.id, response.status));
      }
      // An answer that skips an event must not leave its put() waiting forever.
      for (const event of unanswered) {
        event.reject(new OpenTrailError('InvalidResponse', 'the trail did not answer this event', 200));
      }
      if (again.length > 0) {
        this.counts.retries++;
        const anyHeld = again.some((event) => isHeld(event, now));
        await sleep(
          retryDelayMs(this.retry, Math.min(round, this.retry.maxAttempts), anyHeld ? HELD_RESEND_MS : 0),
        );
      }
      pending = again;
    }
  }
}
