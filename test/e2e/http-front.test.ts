import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HttpApiHandler, type HttpFront, startHttpFront } from '../../local/http-front.js';
import { createSigV4Verifier } from '../../local/sigv4-verifier.js';
import { signedFetch } from '../support/signed-fetch.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDPRODUCER', secretAccessKey: 'producer-secret' };

interface Invocation {
  readonly functionName: string;
  readonly event: APIGatewayProxyEventV2WithIAMAuthorizer;
  readonly context: Context;
}

describe('HTTP front (API Gateway HTTP API in local mode)', () => {
  let front: HttpFront;
  let invocations: Invocation[];
  let nextResult: () => Promise<APIGatewayProxyStructuredResultV2>;

  const recordingHandler =
    (functionName: string): HttpApiHandler =>
    async (event, context) => {
      invocations.push({ functionName, event, context });
      return nextResult();
    };

  const call = (
    path: string,
    init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ) => signedFetch(new URL(path, front.url), { ...init, credentials: CREDENTIALS, region: REGION });

  beforeAll(async () => {
    front = await startHttpFront({
      routes: new Map([
        ['POST /events', { functionName: 'ingest', handler: recordingHandler('ingest') }],
        ['GET /events/{eventId}', { functionName: 'lookup', handler: recordingHandler('lookup') }],
        ['GET /events/insights', { functionName: 'insights', handler: recordingHandler('insights') }],
        ['POST /', { functionName: 'lookup', handler: recordingHandler('lookup') }],
        ['POST /PutAuditEvents', { functionName: 'ingest', handler: recordingHandler('ingest') }],
      ]),
      verifySignature: createSigV4Verifier({
        credentials: [{ ...CREDENTIALS, userName: 'producer' }],
        region: REGION,
      }),
      port: 0,
      region: REGION,
      handlerTimeoutMs: 1_000,
    });
  });

  afterAll(async () => {
    await front.close();
  });

  beforeEach(() => {
    invocations = [];
    nextResult = async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
  });

  it('builds a payload 2.0 event with the IAM caller for a signed request', async () => {
    // Act
    const response = await call('/events?b=2&a=1&a=3&q=x%2By', {
      method: 'POST',
      body: '{"eventName":"CreateOrder"}',
      headers: { 'X-Trace': 'one', cookie: 'session=abc; theme=dark' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(invocations).toHaveLength(1);
    const [{ functionName, event, context }] = invocations as [Invocation];
    expect(functionName).toBe('ingest');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /events',
      rawPath: '/events',
      rawQueryString: 'b=2&a=1&a=3&q=x%2By',
      queryStringParameters: { a: '1,3', b: '2', q: 'x+y' },
      cookies: ['session=abc', 'theme=dark'],
      body: '{"eventName":"CreateOrder"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        routeKey: 'POST /events',
        stage: '$default',
        http: { method: 'POST', path: '/events', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        authorizer: {
          iam: {
            accessKey: 'AKIDPRODUCER',
            accountId: '000000000000',
            userArn: 'arn:aws:iam::000000000000:user/producer',
          },
        },
      },
    });
    expect(event.headers).toMatchObject({ 'x-trace': 'one', 'content-type': 'application/json' });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.pathParameters).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(response.headers.get('apigw-requestid')).toBe(event.requestContext.requestId);
    expect(context).toMatchObject({
      functionName: 'ingest',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
    });
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('routes POST / with its X-Amz-Target and content type, as CloudTrail clients send LookupEvents', async () => {
    // Act
    const response = await call('/', {
      method: 'POST',
      body: '{"MaxResults":7}',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'CloudTrail_20131101.LookupEvents',
      },
    });

    // Assess
    expect(response.status).toBe(200);
    const [{ functionName, event }] = invocations as [Invocation];
    expect(functionName).toBe('lookup');
    expect(event).toMatchObject({
      routeKey: 'POST /',
      rawPath: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'CloudTrail_20131101.LookupEvents',
      },
      body: '{"MaxResults":7}',
      isBase64Encoded: false,
    });
  });

  it('decodes the channelArn query parameter of POST /PutAuditEvents and keeps the raw query string', async () => {
    // Prepare
    const channelArn = 'arn:aws:cloudtrail:us-east-1:000000000000:channel/default';
    const rawQuery = `channelArn=${encodeURIComponent(channelArn)}&externalId=tenant-1`;

    // Act
    const response = await call(`/PutAuditEvents?${rawQuery}`, {
      method: 'POST',
      body: '{"auditEvents":[]}',
    });

    // Assess
    expect(response.status).toBe(200);
    const [{ functionName, event }] = invocations as [Invocation];
    expect(functionName).toBe('ingest');
    expect(event).toMatchObject({
      routeKey: 'POST /PutAuditEvents',
      rawQueryString: rawQuery,
      queryStringParameters: { channelArn, externalId: 'tenant-1' },
    });
  });

  it('passes a body that is not UTF-8 base64-encoded', async () => {
    // Prepare
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x41]);

    // Act
    await call('/events', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });

    // Assess
    expect(invocations[0]?.event).toMatchObject({
      isBase64Encoded: true,
      body: Buffer.from(bytes).toString('base64'),
    });
  });

  it('decodes path parameters and prefers a literal segment over a path variable', async () => {
    // Act
    await call('/events/abc%20123');
    await call('/events/insights');

    // Assess
    expect(invocations.map(({ functionName }) => functionName)).toEqual(['lookup', 'insights']);
    expect(invocations[0]?.event).toMatchObject({
      routeKey: 'GET /events/{eventId}',
      rawPath: '/events/abc%20123',
      pathParameters: { eventId: 'abc 123' },
    });
  });

  it("writes the handler's status, headers, cookies and base64 body back", async () => {
    // Prepare
    nextResult = async () => ({
      statusCode: 207,
      headers: { 'x-count': 3, 'content-type': 'application/octet-stream' },
      cookies: ['a=1', 'b=2'],
      body: Buffer.from('binary!').toString('base64'),
      isBase64Encoded: true,
    });

    // Act
    const response = await call('/events/e1');

    // Assess
    expect(response.status).toBe(207);
    expect(response.headers.get('x-count')).toBe('3');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('binary!');
  });

  it('answers API Gateway\'s 500 {"message":"Internal Server Error"}, without internals, when the handler throws', async () => {
    // Prepare
    nextResult = async () => {
      throw new Error('connection string postgres://secret@db');
    };

    // Act
    const response = await call('/events/e1');

    // Assess
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });

  it('answers 503 {"message":"Service Unavailable"} when the handler does not respond within the integration timeout', async () => {
    // Prepare
    nextResult = () =>
      new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 3_000).unref());

    // Act
    const response = await call('/events/e1');

    // Assess
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });
  });

  it('answers 403 with the reason code and x-amzn-errortype, without calling the handler', async () => {
    // Act
    const response = await signedFetch(new URL('/events/e1', front.url), {
      credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' },
      region: REGION,
    });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(await response.json()).toEqual({
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    expect(invocations).toHaveLength(0);
  });

  it('answers a verified caller outside the route grants 403 {"message":"Forbidden"}, without calling the handler', async () => {
    // Prepare: this caller may call POST /events only.
    const seen: Array<{ userArn: string; routeKey: string }> = [];
    const granted = await startHttpFront({
      routes: new Map([
        ['POST /events', { functionName: 'ingest', handler: recordingHandler('ingest') }],
        ['GET /events/{eventId}', { functionName: 'lookup', handler: recordingHandler('lookup') }],
      ]),
      verifySignature: createSigV4Verifier({
        credentials: [{ ...CREDENTIALS, userName: 'producer' }],
        region: REGION,
      }),
      authorize: (caller, routeKey) => {
        seen.push({ userArn: caller.userArn, routeKey });
        return routeKey === 'POST /events';
      },
      port: 0,
      region: REGION,
    });
    const callGranted = (path: string, method: string) =>
      signedFetch(new URL(path, granted.url), {
        method,
        credentials: CREDENTIALS,
        region: REGION,
        ...(method === 'POST' ? { body: '{}' } : {}),
      });

    try {
      // Act
      const denied = await callGranted('/events/e1', 'GET');
      const allowed = await callGranted('/events', 'POST');

      // Assess
      expect(denied.status).toBe(403);
      expect(denied.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
      expect(await denied.json()).toEqual({ message: 'Forbidden' });
      expect(allowed.status).toBe(200);
      expect(invocations.map(({ functionName }) => functionName)).toEqual(['ingest']);
      expect(seen).toEqual([
        { userArn: 'arn:aws:iam::000000000000:user/producer', routeKey: 'GET /events/{eventId}' },
        { userArn: 'arn:aws:iam::000000000000:user/producer', routeKey: 'POST /events' },
      ]);
    } finally {
      await granted.close();
    }
  });

  it('answers 404 {"message":"Not Found"} for a route that does not exist, signed or not', async () => {
    // Act
    const unsigned = await fetch(new URL('/events/e1/extra', front.url), {
      signal: AbortSignal.timeout(5_000),
    });
    const wrongMethod = await call('/events/e1', { method: 'DELETE' });

    // Assess
    expect(unsigned.status).toBe(404);
    expect(await unsigned.json()).toEqual({ message: 'Not Found' });
    expect(wrongMethod.status).toBe(404);
  });

  it('answers 413 RequestTooLarge for a body over 1 MiB plus slack', async () => {
    // Act
    const response = await call('/events', { method: 'POST', body: 'x'.repeat(1024 * 1024 + 65 * 1024) });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'RequestTooLarge' });
    expect(invocations).toHaveLength(0);
  });
});
