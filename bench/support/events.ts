import type { ProducerEvent } from '../../lambda/core/event-model.js';

/**
 * Benchmark events: what a producer sends, CloudTrail-like. The typical event is about 1 KB as JSON, the large
 * one about 10 KB (a bigger requestParameters), and the varied set spreads sources, names, users and resources
 * the way an API's audit trail does (a few hot values, a long tail).
 */

export const ACCOUNT_ID = '123456789012';

export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A deterministic PRNG (mulberry32), so every run generates the same events. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const hex = (random: () => number, length: number): string =>
  Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');

const uuid = (random: () => number): string =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

/** A realistic write: an IAM user updates an order's status through the SDK; about 1,000 bytes as JSON. */
export function typicalEvent(eventTime: string, random: () => number = seededRandom(1)): ProducerEvent {
  const orderId = `ord-${hex(random, 8)}`;
  return {
    eventTime,
    eventSource: 'orders.api.example.com',
    eventName: 'UpdateOrderStatus',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.42',
    userAgent: 'example-sdk-js/3.4.1 os/linux#6.5 lang/js md/nodejs#20.11.1',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAJQABLZS4A3QDU576Q',
      arn: `arn:aws:iam::${ACCOUNT_ID}:user/alice.martin`,
      accountId: ACCOUNT_ID,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName: 'alice.martin',
    },
    requestParameters: {
      orderId,
      status: 'SHIPPED',
      carrier: 'UPS',
      trackingNumber: '1Z999AA10123456784',
      notifyCustomer: true,
    },
    responseElements: {
      order: {
        orderId,
        status: 'SHIPPED',
        previousStatus: 'PACKED',
        updatedAt: eventTime,
        version: 7,
      },
    },
    requestID: uuid(random),
    eventType: 'ApiCall',
    readOnly: false,
    resources: [
      {
        ARN: `arn:example:orders:eu-west-1:${ACCOUNT_ID}:order/${orderId}`,
        accountId: ACCOUNT_ID,
        type: 'Example::Orders::Order',
      },
    ],
    recipientAccountId: ACCOUNT_ID,
  };
}

/**
 * The typical event with a requestParameters grown by order lines until the event is about `targetBytes` as
 * JSON (a bulk update, the usual reason an audit record gets big).
 */
export function largeEvent(eventTime: string, targetBytes = 10 * 1024): ProducerEvent {
  const random = seededRandom(2);
  const event = typicalEvent(eventTime, random);
  const lines: Array<Record<string, unknown>> = [];
  const grown = (): ProducerEvent => ({ ...event, requestParameters: { ...event.requestParameters, lines } });
  for (let line = 1; line <= 1000 && jsonBytes(grown()) < targetBytes - 110; line++) {
    lines.push({
      line,
      sku: `SKU-${hex(random, 6).toUpperCase()}`,
      quantity: 1 + Math.floor(random() * 5),
      unitPrice: Math.round(random() * 10_000) / 100,
      currency: 'EUR',
    });
  }
  return grown();
}

/** Copies of the typical event that differ the way a real batch does (ids, times, request ids). */
export function typicalBatch(count: number, nowMs: number): ProducerEvent[] {
  const random = seededRandom(3);
  return Array.from({ length: count }, (_, i) =>
    typicalEvent(new Date(nowMs - (count - i) * 1000).toISOString(), random),
  );
}

interface Identity {
  readonly type: string;
  readonly principalId: string;
  readonly arn: string;
  readonly accessKeyId?: string;
  readonly userName?: string;
}

const SOURCES: ReadonlyArray<{ source: string; names: readonly string[]; resourceTypes: readonly string[] }> =
  [
    {
      source: 'orders.api.example.com',
      names: [
        'GetOrder',
        'ListOrders',
        'CreateOrder',
        'UpdateOrderStatus',
        'CancelOrder',
        'DescribeOrderHistory',
      ],
      resourceTypes: ['Example::Orders::Order'],
    },
    {
      source: 'billing.api.example.com',
      names: ['GetInvoice', 'ListInvoices', 'CreateInvoice', 'PayInvoice', 'RefundPayment'],
      resourceTypes: ['Example::Billing::Invoice', 'Example::Billing::Payment'],
    },
    {
      source: 'users.api.example.com',
      names: ['GetUser', 'ListUsers', 'CreateUser', 'UpdateUser', 'DeleteUser', 'ResetPassword'],
      resourceTypes: ['Example::Users::User'],
    },
    {
      source: 'catalog.api.example.com',
      names: ['GetProduct', 'SearchProducts', 'UpdateProduct', 'PublishProduct'],
      resourceTypes: ['Example::Catalog::Product', 'Example::Catalog::Category'],
    },
    {
      source: 'auth.api.example.com',
      names: ['SignIn', 'SignOut', 'CreateApiKey', 'RevokeApiKey'],
      resourceTypes: ['Example::Auth::ApiKey'],
    },
    {
      source: 'files.api.example.com',
      names: ['GetFile', 'ListFiles', 'PutFile', 'DeleteFile'],
      resourceTypes: ['Example::Files::File', 'Example::Files::Folder'],
    },
  ];

const AGENTS = [
  'example-sdk-js/3.4.1 ua/2.1 os/linux#6.5 lang/js md/nodejs#20.11.1',
  'example-cli/2.15.0 Python/3.11.6 Linux/6.5',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'example-sdk-go/1.9.2 (go1.22; linux; arm64)',
];

function identities(random: () => number): Identity[] {
  const users: Identity[] = Array.from({ length: 24 }, (_, i) => ({
    type: 'IAMUser',
    principalId: `AIDA${hex(random, 17).toUpperCase()}`,
    arn: `arn:aws:iam::${ACCOUNT_ID}:user/user${i}`,
    accessKeyId: `AKIA${hex(random, 16).toUpperCase()}`,
    userName: `user${i}`,
  }));
  const roles: Identity[] = Array.from({ length: 8 }, (_, i) => ({
    type: 'AssumedRole',
    principalId: `AROA${hex(random, 17).toUpperCase()}:session${i}`,
    arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/service${i}/session${i}`,
    accessKeyId: `ASIA${hex(random, 16).toUpperCase()}`,
  }));
  return [...users, ...roles];
}

/** Picks from a list with a skew (the first entries are the hot ones), like real traffic. */
const skewed = <T>(random: () => number, values: readonly T[]): T =>
  values[Math.floor(values.length * random() ** 2)] as T;

/**
 * `count` varied events with eventTimes spread over the `spanMs` before `nowMs`: six sources, 29 event names,
 * 32 identities, 9 resource types, a few hundred resources, 8% errors.
 */
export function variedEvents(count: number, nowMs: number, spanMs: number, seed = 42): ProducerEvent[] {
  const random = seededRandom(seed);
  const people = identities(random);
  return Array.from({ length: count }, () => {
    const family = skewed(random, SOURCES);
    const eventName = skewed(random, family.names);
    const identity = skewed(random, people);
    const resourceType = skewed(random, family.resourceTypes);
    const resourceId = `r-${Math.floor(400 * random() ** 3)}`;
    const failed = random() < 0.08;
    const eventTime = new Date(nowMs - Math.floor(random() * spanMs)).toISOString();
    const event: ProducerEvent = {
      eventTime,
      eventSource: family.source,
      eventName,
      sourceIPAddress: `198.51.100.${Math.floor(random() * 250)}`,
      userAgent: skewed(random, AGENTS),
      userIdentity: {
        type: identity.type,
        principalId: identity.principalId,
        arn: identity.arn,
        accountId: ACCOUNT_ID,
        ...(identity.accessKeyId === undefined ? {} : { accessKeyId: identity.accessKeyId }),
        ...(identity.userName === undefined ? {} : { userName: identity.userName }),
      },
      requestParameters: { id: resourceId, filter: random() < 0.3 ? { status: 'ACTIVE' } : null, page: 1 },
      responseElements: failed ? null : { id: resourceId, etag: hex(random, 16), updated: eventTime },
      requestID: uuid(random),
      resources: [
        {
          ARN: `arn:example:${family.source.split('.')[0]}:eu-west-1:${ACCOUNT_ID}:${resourceType.split('::')[2]?.toLowerCase()}/${resourceId}`,
          accountId: ACCOUNT_ID,
          type: resourceType,
        },
      ],
      ...(failed
        ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this action' }
        : {}),
    };
    return event;
  });
}
