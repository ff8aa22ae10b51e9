import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFront, startHttpFront } from '../../local/http-front.js';
import { createSigV4Verifier } from '../../local/sigv4-verifier.js';
import { sendRaw, signForFront } from '../unit/local/http-front-client.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDQUERY', secretAccessKey: 'query-secret' };
/** Names that are keys of Object.prototype, or change an object's prototype when assigned. */
const HOSTILE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/** Names from the hostile list (often repeated) or anything printable; values anything printable. */
const queryPairs = fc.array(
  fc.tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
      fc.string({ minLength: 1, maxLength: 12 }),
    ),
    fc.string({ maxLength: 12 }),
  ),
  { minLength: 1, maxLength: 8 },
);

/** What payload 2.0 gives for a query: each name once, repeated values joined with commas, in arrival order. */
const expectedParameters = (pairs: ReadonlyArray<readonly [string, string]>): Record<string, string> => {
  const joined = new Map<string, string>();
  for (const [name, value] of pairs) {
    const existing = joined.get(name);
    joined.set(name, existing === undefined ? value : `${existing},${value}`);
  }
  return Object.fromEntries(joined);
};

describe('HTTP front on hostile query names (signed with the AWS SDK signer)', () => {
  let front: HttpFront;
  const seen: APIGatewayProxyEventV2WithIAMAuthorizer[] = [];

  beforeAll(async () => {
    front = await startHttpFront({
      routes: new Map([
        [
          'GET /events',
          {
            functionName: 'lookup',
            handler: async (event) => {
              seen.push(event);
              return { statusCode: 200, body: '{}' };
            },
          },
        ],
      ]),
      verifySignature: createSigV4Verifier({ credentials: [CREDENTIALS], region: REGION }),
      port: 0,
      region: REGION,
    });
  });

  afterAll(async () => {
    await front.close();
  });

  it('verifies the signature and hands the handler the queryStringParameters API Gateway would', async () => {
    await fc.assert(
      fc.asyncProperty(queryPairs, async (pairs) => {
        // Prepare
        seen.length = 0;
        const request = await signForFront(front.url, {
          path: '/events',
          query: pairs,
          credentials: CREDENTIALS,
          region: REGION,
        });

        // Act
        const answer = await sendRaw(front.url, request);

        // Assess
        expect(answer.status, answer.body).toBe(200);
        expect(seen).toHaveLength(1);
        const parameters = seen[0]?.queryStringParameters;
        expect(Object.getPrototypeOf(parameters)).toBe(Object.prototype);
        expect(Object.keys(parameters ?? {})).toEqual(Object.keys(expectedParameters(pairs)));
        expect(parameters).toEqual(expectedParameters(pairs));
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
