import fc from 'fast-check';
import { LIMITS } from '../../lambda/core/limits.js';
import { sampleEvent } from '../fixtures/events.js';

/**
 * Generators of hostile input for the property tests: what a careless or malicious producer can put in a request.
 */

/** Producer ids the generators reuse, so that repeats of stored events come up. */
export const REUSED_IDS = ['order-1', 'order-2', 'order-3'];

/** Keys that have broken JavaScript services before: prototype pollution and look-alikes. */
export const dangerousKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  'eventID',
  'password',
  'x-api-key',
);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** Any code point, lone surrogates included, with ASCII favoured so structure-like text appears too. */
export const anyChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
);

export const weirdString = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: anyChar, maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '\u0000', '\uFEFF', '\u202E', 'e\u0301', '😀'.repeat(300)),
  },
  {
    weight: 1,
    // Lengths around the limits, counted in characters and in bytes.
    arbitrary: fc
      .tuple(
        fc.constantFrom(LIMITS.shortFieldBytes, LIMITS.keyFieldBytes, LIMITS.selectors.valueChars, 342, 343),
        fc.integer({ min: -2, max: 2 }),
        fc.constantFrom('x', 'é', '€', '😀'),
      )
      .map(([length, delta, char]) => char.repeat(Math.max(0, length + delta))),
  },
);

/** Keys the default redaction rules mask, in the spellings real APIs use and in look-alikes meant to slip by. */
export const SENSITIVE_KEYS = [
  'password',
  'Password',
  'x-api-key',
  'sessionToken',
  'client_secret',
  'Authorization',
  'Cookie',
  'privateKey',
  'credentials',
  'SecretAccessKey',
  'pass_word',
  'Pass-Word',
  'pass.word',
  'PASS_PHRASE',
  '\uFF30\uFF21\uFF33\uFF33\uFF37\uFF2F\uFF32\uFF24',
  'pa\u00ADssword',
  'pass\u200Bword',
  '\u017Fecret',
];
export const sensitiveKey = fc.constantFrom(...SENSITIVE_KEYS);

export const key = fc.oneof(
  { weight: 4, arbitrary: weirdString },
  { weight: 1, arbitrary: dangerousKey },
  { weight: 1, arbitrary: sensitiveKey },
);

export const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, 5e-324, Number.MAX_VALUE),
);

const { payload } = fc.letrec((tie) => ({
  payload: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    weirdString,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('payload'), { maxLength: 4 }),
    fc.dictionary(key, tie('payload'), { maxKeys: 5 }),
  ),
}));

/** A JSON-compatible value of any shape: weird keys and strings, big numbers, some nesting. */
export const jsonish = payload;

/** Objects nested past the limit (and just under it). */
export const deepObject = fc
  .tuple(fc.integer({ min: LIMITS.nestingDepth - 2, max: LIMITS.nestingDepth + 3 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { nested: value };
    return { nested: value };
  });

const payloadObject = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(key, jsonish, { maxKeys: 6 }) },
  {
    // A secret somewhere inside, as real request payloads carry them.
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.dictionary(key, jsonish, { maxKeys: 3 }),
        sensitiveKey,
        fc.oneof(fc.string(), jsonish),
        fc.boolean(),
      )
      .map(([object, name, secret, nested]) => {
        const withSecret = { ...object };
        Object.defineProperty(withSecret, name, {
          value: secret,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return nested ? { outer: [withSecret] } : withSecret;
      }),
  },
  { weight: 1, arbitrary: deepObject },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: jsonish },
);

const field = (name: string, value: fc.Arbitrary<unknown>, weight = 1) => ({
  weight,
  arbitrary: fc.tuple(fc.constant(name), value),
});

/** One change to a realistic event: payloads often (usually still valid), other fields now and then. */
const override = fc.oneof(
  field('requestParameters', payloadObject, 6),
  field('responseElements', payloadObject, 4),
  field('additionalEventData', payloadObject, 4),
  field('addendum', payloadObject, 2),
  field('serviceEventDetails', payloadObject),
  field('edgeDeviceDetails', payloadObject),
  field(
    'id',
    fc.oneof(fc.stringMatching(/^[-_A-Za-z0-9]{1,128}$/), weirdString, fc.constantFrom(...REUSED_IDS)),
    3,
  ),
  field('eventSource', weirdString),
  field('eventName', weirdString),
  field(
    'eventTime',
    fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      weirdString,
    ),
  ),
  field('awsRegion', fc.oneof(fc.constantFrom('us-east-1', 'eu-west-1'), weirdString)),
  field('userAgent', weirdString),
  field('errorCode', weirdString),
  field('readOnly', fc.oneof(fc.boolean(), jsonish)),
  field('eventCategory', fc.oneof(fc.constantFrom('Management', 'Data', 'Insight'), weirdString)),
  field(
    'resources',
    fc.oneof(
      fc.array(fc.record({ ARN: weirdString, type: weirdString }, { requiredKeys: [] }), { maxLength: 3 }),
      jsonish,
    ),
  ),
  field(
    'userIdentity',
    fc.oneof(
      fc.record(
        { type: weirdString, principalId: weirdString, arn: weirdString },
        { requiredKeys: ['type'] },
      ),
      // A CloudTrail Lake identity: free-form details and session context next to a lookup key.
      fc.record(
        {
          type: fc.constant('CustomUser'),
          principalId: fc.constant('u-1'),
          accessKeyId: fc.constant('AKIAEXAMPLE'),
          details: payloadObject,
          sessionContext: payloadObject,
        },
        { requiredKeys: ['type', 'principalId', 'accessKeyId'] },
      ),
      jsonish,
    ),
  ),
  field('extra', jsonish),
  field('__proto__', jsonish),
  field('constructor', jsonish),
);

/** A realistic event with up to three fields changed, set as own properties (`__proto__` included). */
export const producerEvent = fc.array(override, { maxLength: 3 }).map((overrides) => {
  const event = sampleEvent();
  for (const [name, value] of overrides) {
    Object.defineProperty(event, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return event;
});

/** JSON text as a producer would send it: JSON.stringify keeps own `__proto__` keys and escapes lone surrogates. */
export const eventJson = producerEvent.map((event) => JSON.stringify(event));

/** A realistic event whose payloads carry secrets among ordinary values, at any depth. */
export const eventWithSecretsJson = fc
  .record({
    requestParameters: fc.dictionary(
      fc.oneof(fc.string(), sensitiveKey),
      fc.oneof(fc.string(), fc.jsonValue()),
      {
        maxKeys: 5,
      },
    ),
    responseElements: fc.dictionary(fc.oneof(fc.string(), sensitiveKey), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 3,
    }),
    additionalEventData: fc.option(fc.dictionary(sensitiveKey, fc.string(), { maxKeys: 2 }), { nil: null }),
    addendum: fc.dictionary(fc.oneof(fc.string(), sensitiveKey), fc.string(), { maxKeys: 2 }),
    details: fc.dictionary(fc.oneof(fc.string(), sensitiveKey), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
    }),
  })
  .map(({ details, ...payloads }) =>
    JSON.stringify(
      sampleEvent({
        ...payloads,
        userIdentity: { type: 'CustomUser', principalId: 'u-1', accessKeyId: 'AKIAEXAMPLE', details },
      }),
    ),
  );
