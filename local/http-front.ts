import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { CONSOLE_PAGE } from '../console/src/paths.js';
import {
  createLambdaContext,
  describeError,
  fitsSyncPayload,
  invokeWithTimeout,
  LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES,
} from './lambda-invoke.js';
import type { RouteAuthorizer } from './route-access.js';
import { type CallerIdentity, groupQuery, type SigV4Verifier } from './sigv4-verifier.js';

/**
 * Plays API Gateway (HTTP API, payload format 2.0, IAM authorization) in front of the Lambda handlers:
 * routes like API Gateway does, verifies SigV4, builds the event and context, and writes the result back.
 */

export type HttpApiHandler = (
  event: APIGatewayProxyEventV2WithIAMAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface RouteTarget {
  /** The Lambda function's name, shown in the context (functionName, ARN, log group). */
  readonly functionName: string;
  readonly handler: HttpApiHandler;
  /** The function's own timeout (the manifest's), within the integration timeout. @default the integration timeout */
  readonly timeoutMs?: number;
  /** The function's memory (the manifest's), as its context reports it. @default Lambda's 128 MB */
  readonly memoryMb?: number;
}

/** Route key as API Gateway writes it ('GET /events/{eventId}') -> the function behind it. */
export type RouteTable = ReadonlyMap<string, RouteTarget>;

export interface HttpFrontOptions {
  readonly routes: RouteTable;
  readonly verifySignature: SigV4Verifier;
  /**
   * Whether a verified caller may call a route, like the caller's `execute-api:Invoke` grants; a denied request
   * gets API Gateway's 403. @default every verified caller may call every route
   */
  readonly authorize?: RouteAuthorizer;
  /** 0 picks a free port. */
  readonly port: number;
  readonly region: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /**
   * Bodies above this are refused with 413. Like API Gateway, the front reads (and discards) a refused body up to
   * the 10 MB payload limit before answering; past that limit it answers at once and closes the connection.
   * @default 1 MiB (the put limit) + 64 KiB slack
   */
  readonly maxBodyBytes?: number;
  /** API Gateway's integration timeout: no function runs longer for a request. @default 30 000 ms */
  readonly handlerTimeoutMs?: number;
  /**
   * How long a client may take to send a whole request, headers and body; past it Node answers 408 and closes the
   * connection, so a trickled body cannot hold a connection for minutes. The headers get at most 10 s of it.
   * @default 30 000 ms, API Gateway's integration timeout: no slower client is served in AWS either
   */
  readonly requestTimeoutMs?: number;
  /**
   * Open connections at once; a connection past the cap is closed on arrival (Node's `server.maxConnections`).
   * @default 256: far more than the CLI, the SDKs and the tests open, far below the process's 1,024 file
   * descriptors, which the emulator's clients need too
   */
  readonly maxConnections?: number;
  /** One line per request, and handler failures. @default drop them */
  readonly log?: (line: string) => void;
  /**
   * The investigator's console at /console/ (docs/console.md): its built files, and the JSON
   * served as /console/config.json. Static files need no signature; the console signs its API calls itself.
   * @default no console: /console/ is a 404 like any unknown route
   */
  readonly console?: ConsoleSite;
}

export interface ConsoleSite {
  /** The folder holding index.html, app.js and styles.css (console/build.ts). */
  readonly root: string;
  readonly config: () => object;
}

export interface HttpFront {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests; requests in flight get a short grace period. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024 + 64 * 1024;
/** HTTP API payload size quota, 10 MB, not adjustable (API Gateway developer guide, "Quotas ... HTTP API"). */
const API_GATEWAY_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024;
/** How long a refused connection keeps reading after the 413 before it closes anyway. */
const LINGER_MS = 2_000;
const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_HEADERS_TIMEOUT_MS = 10_000;
/** Idle keep-alive connections close after this, so they do not hold places under the connection cap. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the request and headers timeouts; its default, 30 s, would make them 30 s late. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const DEFAULT_MAX_CONNECTIONS = 256;
/** The only signing name API Gateway's IAM authorization accepts. */
const API_GATEWAY_SIGNING_SERVICE = 'execute-api';
const CLOSE_GRACE_MS = 5_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  /** Path segments; a `{name}` segment captures one segment. */
  readonly segments: readonly string[];
  readonly staticSegmentCount: number;
  readonly target: RouteTarget;
}

interface RouteMatch {
  readonly route: CompiledRoute;
  readonly pathParameters: Record<string, string> | undefined;
}

interface ErrorReply {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

/** What every request of one front shares. */
interface FrontContext {
  readonly routes: readonly CompiledRoute[];
  readonly options: HttpFrontOptions;
  readonly log: (line: string) => void;
  /** Called with the service of every verified signature. */
  readonly noteSigningService: (service: string) => void;
}

export const startHttpFront = async (options: HttpFrontOptions): Promise<HttpFront> => {
  const log = options.log ?? (() => {});
  const front: FrontContext = {
    routes: compileRoutes(options.routes),
    options,
    log,
    noteSigningService: warnOnceOnForeignSigningService(log),
  };
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(MAX_HEADERS_TIMEOUT_MS, requestTimeout),
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (request, response) => {
      const startedAt = Date.now();
      handleRequest(request, response, front)
        .catch((error: unknown) => {
          log(`Request failed outside the handler: ${describeError(error)}`);
          if (!response.headersSent) writeGatewayError(response, 500, 'Internal Server Error');
        })
        .finally(() =>
          log(`${request.method} ${request.url} -> ${response.statusCode} (${Date.now() - startedAt} ms)`),
        );
    },
  );
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let dropped = false;
  server.on('drop', () => {
    if (dropped) return;
    dropped = true;
    log(`Connection cap of ${server.maxConnections} reached: connections past it are closed on arrival`);
  });
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      const graceful = await Promise.race([
        closed.then(() => true),
        sleep(CLOSE_GRACE_MS, undefined, { ref: false }).then(() => false),
      ]);
      if (!graceful) {
        server.closeAllConnections();
        await closed;
      }
    },
  };
};

/**
 * Local mode accepts the CloudTrail clients' signing names so the AWS CLI works unchanged; API Gateway refuses
 * them, so the first such client is named in the log, once per front.
 */
const warnOnceOnForeignSigningService = (log: (line: string) => void) => {
  let warned = false;
  return (service: string): void => {
    if (warned || service === API_GATEWAY_SIGNING_SERVICE) return;
    warned = true;
    log(
      `A client signed its request as '${service}': local mode accepts it, but API Gateway accepts ` +
        `'${API_GATEWAY_SIGNING_SERVICE}' only, so the same client is refused in AWS (docs/cloudtrail-compat.md)`,
    );
  };
};

const handleRequest = async (
  request: IncomingMessage,
  response: ServerResponse,
  { routes, options, log, noteSigningService }: FrontContext,
): Promise<void> => {
  const requestId = randomUUID();
  response.setHeader('apigw-requestid', requestId);
  const method = (request.method ?? 'GET').toUpperCase();
  const [rawPath = '/', rawQueryString = ''] = splitOnce(request.url ?? '/', '?');

  if (
    options.console !== undefined &&
    (rawPath === CONSOLE_PREFIX || rawPath.startsWith(`${CONSOLE_PREFIX}/`))
  ) {
    // The console's config holds the reader's keys: only a page loaded from this loopback origin may read it, so
    // a site that rebinds its own name to 127.0.0.1 (DNS rebinding) gets nothing.
    if (!isLoopbackHost(request.headers.host, request.socket.localPort)) {
      writeGatewayError(response, 403, 'Forbidden');
      return;
    }
    await serveConsole(response, method, rawPath, rawQueryString, options.console);
    return;
  }

  // API Gateway matches the route first: an unknown route is a 404 even without a signature. The body is read
  // (and discarded) first, as for a 413: answering a client still sending would reset its connection.
  const match = matchRoute(routes, method, rawPath);
  if (match === undefined) {
    const read = await readBody(request, 0, API_GATEWAY_PAYLOAD_LIMIT_BYTES);
    if (read.kind === 'tooLarge' && !read.drained) {
      writeAndLingeringClose(request, response, 404, { message: 'Not Found' });
    } else {
      writeGatewayError(response, 404, 'Not Found');
    }
    return;
  }

  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const read = await readBody(request, maxBodyBytes, Math.max(maxBodyBytes, API_GATEWAY_PAYLOAD_LIMIT_BYTES));
  if (read.kind === 'tooLarge') {
    const reply = {
      statusCode: 413,
      code: 'RequestTooLarge',
      message: `Request body exceeds ${maxBodyBytes} bytes`,
    };
    // A body read to its end leaves the connection reusable; one past the payload limit is still arriving.
    if (read.drained) writeError(response, reply);
    else
      writeAndLingeringClose(request, response, reply.statusCode, {
        code: reply.code,
        message: reply.message,
      });
    return;
  }
  const { body } = read;

  const headers = headerPairs(request);
  const verification = await options.verifySignature({ method, rawPath, rawQueryString, headers, body });
  if (!verification.ok) {
    response.setHeader('x-amzn-errortype', verification.code);
    writeError(response, { statusCode: 403, code: verification.code, message: verification.message });
    return;
  }
  noteSigningService(verification.signingService);
  if (options.authorize?.(verification.caller, match.route.routeKey) === false) {
    log(`${verification.caller.userArn} may not call ${match.route.routeKey} (request ${requestId})`);
    writeForbidden(response);
    return;
  }

  const accountId = options.accountId ?? '000000000000';
  const event = buildEvent({
    request,
    requestId,
    method,
    rawPath,
    rawQueryString,
    headers,
    body,
    match,
    caller: verification.caller,
    accountId,
  });
  const { functionName } = match.route.target;
  // Lambda refuses the invocation; API Gateway answers 413 without running the function.
  if (!fitsSyncPayload(event)) {
    log(
      `${functionName}: the event exceeds Lambda's ${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} byte limit (request ${requestId})`,
    );
    writeGatewayError(response, 413, 'Request Entity Too Large');
    return;
  }
  const integrationTimeoutMs = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
  const functionTimeoutMs = match.route.target.timeoutMs ?? integrationTimeoutMs;
  const timeoutMs = Math.min(functionTimeoutMs, integrationTimeoutMs);
  const context = createLambdaContext(
    functionName,
    options.region,
    accountId,
    timeoutMs,
    match.route.target.memoryMb,
  );

  const outcome = await invokeWithTimeout(match.route.target.handler, event, context, timeoutMs);
  if (outcome.kind === 'timeout') {
    log(`${functionName} did not respond within ${timeoutMs} ms (request ${requestId})`);
    // The function's own timeout is a function error ("Task timed out"), which API Gateway answers 500; only
    // the integration timeout, reached first, is API Gateway's own 503.
    if (functionTimeoutMs < integrationTimeoutMs) writeGatewayError(response, 500, 'Internal Server Error');
    else writeGatewayError(response, 503, 'Service Unavailable');
    return;
  }
  if (outcome.kind === 'error') {
    log(`${functionName} failed (request ${requestId}): ${describeError(outcome.error)}`);
    writeGatewayError(response, 500, 'Internal Server Error');
    return;
  }
  // Lambda fails an invocation whose response is over the limit: a function error for API Gateway.
  if (!fitsSyncPayload(outcome.result)) {
    log(
      `${functionName}: the response exceeds Lambda's ${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} byte limit (request ${requestId})`,
    );
    writeGatewayError(response, 500, 'Internal Server Error');
    return;
  }
  writeResult(response, outcome.result);
};

const compileRoutes = (table: RouteTable): CompiledRoute[] =>
  [...table]
    .map(([routeKey, target]) => {
      const [method = '', path = ''] = splitOnce(routeKey, ' ');
      const segments = path.split('/').filter((segment) => segment !== '');
      return {
        routeKey,
        method: method.toUpperCase(),
        segments,
        staticSegmentCount: segments.filter((segment) => !isParameterSegment(segment)).length,
        target,
      };
    })
    // API Gateway prefers the most specific route: literal segments win over path variables.
    .sort((left, right) => right.staticSegmentCount - left.staticSegmentCount);

const isParameterSegment = (segment: string): boolean => segment.startsWith('{') && segment.endsWith('}');

/**
 * Matches the path as sent, like API Gateway: no empty segment (`//events`, `/events/`), literal segments compared
 * without decoding (`/%65vents` is not `/events`); only a path variable's value is percent-decoded.
 */
const matchRoute = (
  routes: readonly CompiledRoute[],
  method: string,
  rawPath: string,
): RouteMatch | undefined => {
  if (!rawPath.startsWith('/')) return undefined;
  const requestSegments = rawPath === '/' ? [] : rawPath.slice(1).split('/');
  if (requestSegments.includes('')) return undefined;
  for (const route of routes) {
    if (route.method !== method || route.segments.length !== requestSegments.length) continue;
    const pathParameters = new Map<string, string>();
    const matches = route.segments.every((segment, index) => {
      const value = requestSegments[index] ?? '';
      if (!isParameterSegment(segment)) return segment === value;
      const decoded = decodeSegment(value);
      if (decoded !== undefined) pathParameters.set(segment.slice(1, -1), decoded);
      return decoded !== undefined;
    });
    if (matches) {
      return {
        route,
        pathParameters: pathParameters.size > 0 ? Object.fromEntries(pathParameters) : undefined,
      };
    }
  }
  return undefined;
};

/** undefined for a malformed escape (`%zz`), which matches no path variable. */
const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

const splitOnce = (value: string, separator: string): [string, string] => {
  const index = value.indexOf(separator);
  return index === -1 ? [value, ''] : [value.slice(0, index), value.slice(index + separator.length)];
};

type BodyRead =
  | { readonly kind: 'body'; readonly body: Uint8Array }
  /** drained: the whole body was read (and discarded); otherwise it passed drainBytes and is still arriving. */
  | { readonly kind: 'tooLarge'; readonly drained: boolean };

/**
 * Keeps at most acceptBytes in memory. A body over acceptBytes is read to its end and discarded, as long as it
 * stays within drainBytes, so that the client, still sending, is not reset before it can read the 413.
 * Listeners rather than `for await`: leaving that loop early destroys the request, and with it the socket.
 */
const readBody = (request: IncomingMessage, acceptBytes: number, drainBytes: number): Promise<BodyRead> =>
  new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > drainBytes) {
      request.resume();
      resolve({ kind: 'tooLarge', drained: false });
      return;
    }
    let chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > drainBytes) {
        // Stay flowing with no listener: the rest is discarded as it arrives.
        request.off('data', onData);
        request.off('end', onEnd);
        resolve({ kind: 'tooLarge', drained: false });
      } else if (total > acceptBytes) {
        chunks = [];
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void =>
      resolve(
        total > acceptBytes
          ? { kind: 'tooLarge', drained: true }
          : { kind: 'body', body: Buffer.concat(chunks) },
      );
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', reject);
    request.once('close', () => reject(new Error('The client closed the connection before the body ended')));
  });

const headerPairs = (request: IncomingMessage): Array<[string, string]> => {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    pairs.push([request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '']);
  }
  return pairs;
};

interface EventParts {
  readonly request: IncomingMessage;
  readonly requestId: string;
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  readonly match: RouteMatch;
  readonly caller: CallerIdentity;
  readonly accountId: string;
}

const buildEvent = (parts: EventParts): APIGatewayProxyEventV2WithIAMAuthorizer => {
  // Like API Gateway: names lower-cased, repeated headers joined with commas, cookies moved to `cookies`. Maps,
  // then fromEntries: the names are the client's, and `constructor` or `__proto__` must stay plain own keys.
  const headerValues = new Map<string, string>();
  const cookies: string[] = [];
  for (const [name, value] of parts.headers) {
    const lowerName = name.toLowerCase();
    if (lowerName === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter((cookie) => cookie !== ''),
      );
      continue;
    }
    const existing = headerValues.get(lowerName);
    headerValues.set(lowerName, existing === undefined ? value : `${existing},${value}`);
  }
  const headers: Record<string, string> = Object.fromEntries(headerValues);
  const queryStringParameters: Record<string, string> = Object.fromEntries(
    [...groupQuery(parts.rawQueryString)].map(([name, values]) => [name, values.join(',')]),
  );
  const now = new Date();
  const domainName = (headerValues.get('host') ?? '127.0.0.1').replace(/:\d+$/, '');
  const textBody = decodeUtf8(parts.body);
  return {
    version: '2.0',
    routeKey: parts.match.route.routeKey,
    rawPath: parts.rawPath,
    rawQueryString: parts.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(parts.match.pathParameters === undefined ? {} : { pathParameters: parts.match.pathParameters }),
    requestContext: {
      accountId: parts.accountId,
      apiId: 'local',
      authorizer: {
        iam: {
          accessKey: parts.caller.accessKeyId,
          accountId: parts.caller.accountId,
          callerId: parts.caller.userId,
          cognitoIdentity: null,
          principalOrgId: '',
          userArn: parts.caller.userArn,
          userId: parts.caller.userId,
        },
      },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: parts.method,
        path: parts.rawPath,
        protocol: `HTTP/${parts.request.httpVersion}`,
        sourceIp: parts.request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headerValues.get('user-agent') ?? '',
      },
      requestId: parts.requestId,
      routeKey: parts.match.route.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(parts.body.length === 0
      ? { isBase64Encoded: false }
      : textBody === undefined
        ? { body: Buffer.from(parts.body).toString('base64'), isBase64Encoded: true }
        : { body: textBody, isBase64Encoded: false }),
  };
};

const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
};

/** API Gateway's requestContext.time format: 12/Mar/2020:19:03:58 +0000. */
const formatRequestTime = (date: Date): string => {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
};

const writeResult = (response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void => {
  // Set first: an invalid status code throws before any of the handler's headers are applied.
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies !== undefined && result.cookies.length > 0)
    response.setHeader('set-cookie', result.cookies);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  response.end(body);
};

/**
 * What an HTTP API with IAM authorization answers a caller whose policies do not allow `execute-api:Invoke` on
 * the route: 403 and `{"message":"Forbidden"}`; the error type header lets SDK clients name the error.
 */
const writeForbidden = (response: ServerResponse): void => {
  response.setHeader('x-amzn-errortype', 'AccessDeniedException');
  writeGatewayError(response, 403, 'Forbidden');
};

/** API Gateway's own answers (no route, integration failures): `{"message": ...}` and nothing else. */
const writeGatewayError = (response: ServerResponse, statusCode: number, message: string): void => {
  response.statusCode = statusCode;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ message }));
};

const writeError = (response: ServerResponse, reply: ErrorReply): void => {
  response.statusCode = reply.statusCode;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ code: reply.code, message: reply.message }));
};

/**
 * Sends the whole answer now (its length is declared, so the client can read it) but ends the response, which
 * closes the socket, only once the client stops sending or after LINGER_MS: closing a socket with unread bytes
 * makes the kernel answer with a reset, which can destroy the 413 before the client reads it.
 */
const writeAndLingeringClose = (
  request: IncomingMessage,
  response: ServerResponse,
  statusCode: number,
  body: object,
): void => {
  const payload = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    connection: 'close',
  });
  response.write(payload);
  const close = (): void => {
    clearTimeout(timer);
    if (!response.writableEnded) response.end();
  };
  const timer = setTimeout(close, LINGER_MS);
  request.once('end', close);
  request.socket.once('close', close);
};

const CONSOLE_PREFIX = '/console';

/** Whether a Host header names this front by a loopback name: 127.0.0.1, localhost or [::1], with its port. */
const isLoopbackHost = (host: string | undefined, port: number | undefined): boolean =>
  host !== undefined &&
  port !== undefined &&
  ['127.0.0.1', 'localhost', '[::1]'].some((name) => host.toLowerCase() === `${name}:${port}`);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

/** What CloudFront adds for the console in AWS (issue 14): no inline script, no framing, no sniffing. */
const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // No hashed file names: the browser revalidates, so a rebuilt console is never mixed with a cached one.
  'cache-control': 'no-cache',
};

/** A built file's name: one flat folder, so no separator and no dot-dot can name anything outside it. */
const CONSOLE_FILE = /^[a-z][a-z0-9-]*\.(html|js|css|map)$/;

/**
 * GET /console/*: the built files by exact name, config.json from the runner, index.html for the console's pages,
 * 404 for anything else. The path is matched as sent, never decoded, so %2e%2e or %2f cannot reach another folder.
 */
const serveConsole = async (
  response: ServerResponse,
  method: string,
  rawPath: string,
  rawQueryString: string,
  site: ConsoleSite,
): Promise<void> => {
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) response.setHeader(name, value);
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    writeGatewayError(response, 405, 'Method Not Allowed');
    return;
  }
  if (rawPath === CONSOLE_PREFIX) {
    // The query is the page's state (the insight form's filters): a redirect that dropped it would lose them.
    const query = rawQueryString === '' ? '' : `?${rawQueryString}`;
    response.writeHead(308, { location: `${CONSOLE_PREFIX}/${query}` }).end();
    return;
  }
  const name = rawPath.slice(CONSOLE_PREFIX.length + 1);
  if (name === 'config.json') {
    writeStatic(response, method, 'application/json; charset=utf-8', JSON.stringify(site.config()));
    return;
  }
  const file = CONSOLE_PAGE.test(rawPath) ? 'index.html' : CONSOLE_FILE.test(name) ? name : undefined;
  const body = file === undefined ? undefined : await readFile(join(site.root, file)).catch(() => undefined);
  if (file === undefined || body === undefined) {
    writeGatewayError(response, 404, 'Not Found');
    return;
  }
  writeStatic(
    response,
    method,
    CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    body,
  );
};

const writeStatic = (
  response: ServerResponse,
  method: string,
  contentType: string,
  body: string | Buffer,
): void => {
  response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(method === 'HEAD' ? undefined : body);
};
