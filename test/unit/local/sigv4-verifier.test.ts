import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSigV4Verifier, type ReceivedRequest } from '../../../local/sigv4-verifier.js';
import { type SignedRequest, signRequest } from '../../support/signed-fetch.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const URL_WITH_QUERY = 'http://127.0.0.1:3000/events?eventName=PutItem&maxResults=5';
const BODY = '{"events":[{"eventName":"PutItem"}]}';

const verify = createSigV4Verifier({ credentials: [{ ...CREDENTIALS, userName: 'alice' }], region: REGION });

const toReceived = (signed: SignedRequest): ReceivedRequest => ({
  method: signed.method,
  rawPath: signed.url.pathname,
  rawQueryString: signed.url.search.slice(1),
  headers: Object.entries(signed.headers),
  body: signed.body ?? new Uint8Array(),
});

const signedPost = async (
  overrides: { secretAccessKey?: string; service?: string; signingDate?: Date } = {},
) =>
  toReceived(
    await signRequest(URL_WITH_QUERY, {
      method: 'POST',
      body: BODY,
      headers: { 'x-opentrail-client': 'unit-test' },
      credentials: {
        ...CREDENTIALS,
        secretAccessKey: overrides.secretAccessKey ?? CREDENTIALS.secretAccessKey,
      },
      region: REGION,
      service: overrides.service,
      signingDate: overrides.signingDate,
    }),
  );

const replaceHeader = (request: ReceivedRequest, name: string, value: string): ReceivedRequest => ({
  ...request,
  headers: request.headers.map(([headerName, headerValue]) =>
    headerName.toLowerCase() === name ? [headerName, value] : [headerName, headerValue],
  ),
});

const expectFailure = async (request: ReceivedRequest, code: string) => {
  const result = await verify(request);
  expect(result).toMatchObject({ ok: false, code });
  return result;
};

describe('SigV4 verifier', () => {
  it('accepts a request signed by the SDK signer and names the caller', async () => {
    // Prepare
    const request = await signedPost();

    // Act
    const result = await verify(request);

    // Assess
    expect(result).toEqual({
      ok: true,
      signingService: 'execute-api',
      caller: {
        accessKeyId: 'test',
        accountId: '000000000000',
        userArn: 'arn:aws:iam::000000000000:user/alice',
        userId: 'LOCALTEST',
      },
    });
  });

  it('accepts a GET with an encoded path, repeated query names and no body', async () => {
    // Prepare
    const signed = await signRequest('http://127.0.0.1:3000/events/a%20b%2Fc?k=2&k=1&a=x%2By&empty=', {
      credentials: CREDENTIALS,
      region: REGION,
    });

    // Act
    const result = await verify(toReceived(signed));

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a header sent twice when the signature covers both values', async () => {
    // Prepare
    const signed = await signRequest(URL_WITH_QUERY, {
      credentials: CREDENTIALS,
      region: REGION,
      headers: { 'x-opentrail-tag': 'a,b' },
    });
    const received = toReceived(signed);
    const split: ReceivedRequest = {
      ...received,
      headers: [
        ...received.headers.filter(([name]) => name !== 'x-opentrail-tag'),
        ['X-OpenTrail-Tag', 'a'],
        ['x-opentrail-tag', ' b '],
      ],
    };

    // Act
    const result = await verify(split);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects with MissingAuthenticationToken when there is no Authorization header', async () => {
    // Prepare
    const signed = await signedPost();
    const unsigned = { ...signed, headers: signed.headers.filter(([name]) => name !== 'authorization') };

    // Act
    const result = await expectFailure(unsigned, 'MissingAuthenticationToken');

    // Assess
    expect(result).toMatchObject({ message: 'Missing Authentication Token' });
  });

  it('rejects with InvalidSignatureException when the body was changed', async () => {
    // Prepare
    const signed = await signedPost();
    const tampered = { ...signed, body: new TextEncoder().encode(BODY.replace('PutItem', 'DeleteItem')) };

    // Act
    const result = await expectFailure(tampered, 'InvalidSignatureException');

    // Assess
    expect(result).toMatchObject({ message: expect.stringContaining('x-amz-content-sha256') });
  });

  it('rejects with InvalidSignatureException when the body was changed and its hash header too', async () => {
    // Prepare
    const signed = await signedPost();
    const tamperedBody = new TextEncoder().encode('{}');
    const tamperedHash = Buffer.from(
      await crypto.subtle.digest('SHA-256', Buffer.from(tamperedBody)),
    ).toString('hex');
    const tampered = replaceHeader({ ...signed, body: tamperedBody }, 'x-amz-content-sha256', tamperedHash);

    // Act
    const result = await expectFailure(tampered, 'InvalidSignatureException');

    // Assess
    expect(result).toMatchObject({ message: expect.stringContaining('does not match the signature') });
  });

  it.each([
    ['the path', (request: ReceivedRequest) => ({ ...request, rawPath: '/events/other' })],
    [
      'the query',
      (request: ReceivedRequest) => ({ ...request, rawQueryString: 'eventName=PutItem&maxResults=50' }),
    ],
    ['the method', (request: ReceivedRequest) => ({ ...request, method: 'PUT' })],
    ['a signed header', (request: ReceivedRequest) => replaceHeader(request, 'x-opentrail-client', 'other')],
    ['the host', (request: ReceivedRequest) => replaceHeader(request, 'host', '127.0.0.1:3001')],
  ])('rejects with InvalidSignatureException when %s was changed', async (_what, tamper) => {
    // Prepare
    const tampered = tamper(await signedPost());

    // Act
    const result = await expectFailure(tampered, 'InvalidSignatureException');

    // Assess
    expect(result).toMatchObject({ message: expect.stringContaining('does not match the signature') });
  });

  it('ignores headers that were not signed', async () => {
    // Prepare
    const signed = await signedPost();
    const withExtra: ReceivedRequest = { ...signed, headers: [...signed.headers, ['user-agent', 'curl/8']] };

    // Act
    const result = await verify(withExtra);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects with InvalidSignatureException when the secret is wrong', async () => {
    // Prepare
    const request = await signedPost({ secretAccessKey: 'not-the-secret' });

    // Act & Assess
    await expectFailure(request, 'InvalidSignatureException');
  });

  it('rejects with UnrecognizedClientException when the access key is unknown', async () => {
    // Prepare
    const signed = await signRequest(URL_WITH_QUERY, {
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'test' },
      region: REGION,
    });

    // Act
    const result = await expectFailure(toReceived(signed), 'UnrecognizedClientException');

    // Assess
    expect(result).toMatchObject({ message: 'The security token included in the request is invalid.' });
  });

  it.each([
    { case: 'a session token to a long-term key', issued: undefined, sent: 'bogus' },
    { case: 'another session token', issued: 'issued-token', sent: 'bogus' },
    { case: 'no session token to temporary credentials', issued: 'issued-token', sent: undefined },
  ])('rejects with UnrecognizedClientException a signed request carrying $case', async ({ issued, sent }) => {
    // Prepare
    const withToken = createSigV4Verifier({
      credentials: [{ ...CREDENTIALS, ...(issued === undefined ? {} : { sessionToken: issued }) }],
      region: REGION,
    });
    const signed = await signRequest(URL_WITH_QUERY, {
      credentials: { ...CREDENTIALS, ...(sent === undefined ? {} : { sessionToken: sent }) },
      region: REGION,
    });

    // Act
    const result = await withToken(toReceived(signed));

    // Assess
    expect(result).toEqual({
      ok: false,
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('accepts the session token a credential was issued with', async () => {
    // Prepare
    const withToken = createSigV4Verifier({
      credentials: [{ ...CREDENTIALS, sessionToken: 'issued-token' }],
      region: REGION,
    });
    const signed = await signRequest(URL_WITH_QUERY, {
      credentials: { ...CREDENTIALS, sessionToken: 'issued-token' },
      region: REGION,
    });

    // Act & Assess
    expect(await withToken(toReceived(signed))).toMatchObject({ ok: true });
  });

  it.each(['authorization', 'x-amz-date', 'x-amz-security-token'])(
    'rejects with IncompleteSignatureException a request carrying %s twice',
    async (name) => {
      // Prepare: a correctly signed request plus two junk copies (the first may stand in for a missing one).
      const request = await signedPost();
      const junk: [string, string] = [name, 'junk'];
      const repeated: ReceivedRequest = { ...request, headers: [...request.headers, junk, junk] };

      // Act & Assess
      await expectFailure(repeated, 'IncompleteSignatureException');
    },
  );

  it('rejects with InvalidSignatureException when signed for another service', async () => {
    // Prepare
    const request = await signedPost({ service: 'dynamodb' });

    // Act
    const result = await expectFailure(request, 'InvalidSignatureException');

    // Assess
    expect(result).toMatchObject({
      message: "Credential should be scoped to correct service: 'execute-api'.",
    });
  });

  it('refuses two credential pairs that share an access key, naming the key', () => {
    // Act
    const create = () =>
      createSigV4Verifier({
        credentials: [
          { accessKeyId: 'shared', secretAccessKey: 'one', userName: 'producer' },
          { accessKeyId: 'shared', secretAccessKey: 'two', userName: 'reader' },
          { accessKeyId: 'other', secretAccessKey: 'three' },
        ],
        region: REGION,
      });

    // Assess
    expect(create).toThrow('Each credential pair needs its own access key; repeated: shared');
  });

  it('names each pair by its own user, so the caller ARN tells the pairs apart', async () => {
    // Prepare
    const twoPairs = createSigV4Verifier({
      credentials: [
        { ...CREDENTIALS, userName: 'opentrail-producer' },
        { accessKeyId: 'reader', secretAccessKey: 'reader-secret', userName: 'opentrail-reader' },
      ],
      region: REGION,
    });
    const asReader = toReceived(
      await signRequest(URL_WITH_QUERY, {
        credentials: { accessKeyId: 'reader', secretAccessKey: 'reader-secret' },
        region: REGION,
      }),
    );

    // Act
    const [producer, reader] = await Promise.all([twoPairs(await signedPost()), twoPairs(asReader)]);

    // Assess
    expect(producer).toMatchObject({
      ok: true,
      caller: { accessKeyId: 'test', userArn: 'arn:aws:iam::000000000000:user/opentrail-producer' },
    });
    expect(reader).toMatchObject({
      ok: true,
      caller: { accessKeyId: 'reader', userArn: 'arn:aws:iam::000000000000:user/opentrail-reader' },
    });
  });

  it('accepts the CloudTrail signing names only when the verifier lists them', async () => {
    // Prepare
    const localMode = createSigV4Verifier({
      credentials: [CREDENTIALS],
      region: REGION,
      services: ['execute-api', 'cloudtrail', 'cloudtrail-data'],
    });
    const signedAs = (service: string) => signedPost({ service });

    // Act
    const results = await Promise.all(
      ['execute-api', 'cloudtrail', 'cloudtrail-data'].map(
        async (service) => (await localMode(await signedAs(service))).ok,
      ),
    );
    const apiGateway = await verify(await signedAs('cloudtrail'));
    const other = await localMode(await signedAs('dynamodb'));

    // Assess
    expect(results).toEqual([true, true, true]);
    expect(apiGateway).toMatchObject({ ok: false, code: 'InvalidSignatureException' });
    expect(other).toMatchObject({
      ok: false,
      message:
        "Credential should be scoped to correct service: 'execute-api' or 'cloudtrail' or 'cloudtrail-data'.",
    });
  });

  it('rejects with InvalidSignatureException when signed for another region', async () => {
    // Prepare
    const signed = await signRequest(URL_WITH_QUERY, { credentials: CREDENTIALS, region: 'eu-west-1' });

    // Act
    const result = await expectFailure(toReceived(signed), 'InvalidSignatureException');

    // Assess
    expect(result).toMatchObject({ message: expect.stringContaining("not 'eu-west-1'") });
  });

  it('rejects with SignatureExpired when X-Amz-Date is more than 15 minutes old', async () => {
    // Prepare
    const request = await signedPost({ signingDate: new Date(Date.now() - 16 * 60 * 1000) });

    // Act
    const result = await expectFailure(request, 'SignatureExpired');

    // Assess
    expect(result).toMatchObject({
      message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier/),
    });
  });

  it('rejects with SignatureExpired when X-Amz-Date is more than 15 minutes ahead', async () => {
    // Prepare
    const request = await signedPost({ signingDate: new Date(Date.now() + 16 * 60 * 1000) });

    // Act & Assess
    await expectFailure(request, 'SignatureExpired');
  });

  it('accepts X-Amz-Date within the 15 minute window', async () => {
    // Prepare
    const request = await signedPost({ signingDate: new Date(Date.now() - 14 * 60 * 1000) });

    // Act
    const result = await verify(request);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects with IncompleteSignatureException when X-Amz-Date is missing', async () => {
    // Prepare
    const signed = await signedPost();
    const withoutDate = { ...signed, headers: signed.headers.filter(([name]) => name !== 'x-amz-date') };

    // Act & Assess
    await expectFailure(withoutDate, 'IncompleteSignatureException');
  });

  it.each([
    ['another scheme', 'Basic dGVzdDp0ZXN0'],
    [
      'no Signature',
      'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host',
    ],
    ['a short Credential', 'AWS4-HMAC-SHA256 Credential=test/20260101, SignedHeaders=host, Signature=00'],
  ])('rejects with IncompleteSignatureException when Authorization has %s', async (_what, authorization) => {
    // Prepare
    const request = replaceHeader(await signedPost(), 'authorization', authorization);

    // Act & Assess
    await expectFailure(request, 'IncompleteSignatureException');
  });

  it('rejects with IncompleteSignatureException when host is not signed', async () => {
    // Prepare
    const signed = await signedPost();
    const authorization = signed.headers.find(([name]) => name === 'authorization')?.[1] ?? '';
    const request = replaceHeader(signed, 'authorization', authorization.replace('host;', ''));

    // Act
    const result = await expectFailure(request, 'IncompleteSignatureException');

    // Assess
    expect(result).toMatchObject({ message: expect.stringContaining("'Host'") });
  });
});

const execFileAsync = promisify(execFile);
const curlSupportsSigV4 = await execFileAsync('curl', ['--version']).then(
  ({ stdout }) => {
    const version = /^curl (\d+)\.(\d+)/.exec(stdout);
    return version !== null && Number(version[1]) * 100 + Number(version[2]) >= 775;
  },
  () => false,
);

/**
 * Runs the real curl binary against a server on a Unix socket (no network) and returns what it sent.
 * curl signs host, x-amz-date and content-type, sends no x-amz-content-sha256 unless given one, and (before
 * 8.x) leaves the query in the order written, which AWS also rejects, so the queries here are pre-sorted.
 */
const captureCurlRequest = async (
  curlArguments: readonly string[],
  url: string,
): Promise<ReceivedRequest> => {
  const directory = await mkdtemp(join(tmpdir(), 'opentrail-curl-'));
  const socketPath = join(directory, 'http.sock');
  let captured: ReceivedRequest | undefined;
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = new URL(request.url ?? '/', 'http://unix');
      const headers: Array<[string, string]> = [];
      for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
        headers.push([request.rawHeaders[index] ?? '', request.rawHeaders[index + 1] ?? '']);
      }
      captured = {
        method: request.method ?? 'GET',
        rawPath: target.pathname,
        rawQueryString: target.search.slice(1),
        headers,
        body: Buffer.concat(chunks),
      };
      response.end('{}');
    });
  });
  try {
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    await execFileAsync(
      'curl',
      [
        '--silent',
        '--max-time',
        '10',
        '--unix-socket',
        socketPath,
        '--aws-sigv4',
        'aws:amz:us-east-1:execute-api',
        '--user',
        'test:test',
        ...curlArguments,
        url,
      ],
      { timeout: 15_000 },
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  }
  if (captured === undefined) throw new Error('curl sent no request');
  return captured;
};

describe.runIf(curlSupportsSigV4)('SigV4 verifier with curl --aws-sigv4', () => {
  it('accepts a GET signed by curl', async () => {
    // Prepare
    const request = await captureCurlRequest(
      [],
      'http://localhost:3000/events/abc?eventName=PutItem&maxResults=5',
    );

    // Act
    const result = await verify(request);

    // Assess
    expect(result).toMatchObject({ ok: true, caller: { accessKeyId: 'test' } });
  });

  it('accepts a POST with a JSON body signed by curl', async () => {
    // Prepare
    const request = await captureCurlRequest(
      ['--request', 'POST', '--header', 'content-type: application/json', '--data-raw', BODY],
      'http://localhost:3000/events',
    );

    // Act
    const result = await verify(request);

    // Assess
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects a curl request whose body was changed on the way', async () => {
    // Prepare
    const request = await captureCurlRequest(
      ['--request', 'POST', '--header', 'content-type: application/json', '--data-raw', BODY],
      'http://localhost:3000/events',
    );

    // Act & Assess
    await expectFailure({ ...request, body: new TextEncoder().encode('{}') }, 'InvalidSignatureException');
  });
});
