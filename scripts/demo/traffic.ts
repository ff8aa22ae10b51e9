import type { ProducerEvent } from '../../lambda/core/event-model.js';
import { pick, seededRandom } from '../../test/fixtures/random.js';

/**
 * The demo's simulated world: three apps (orders, billing, auth) called by people and machines through the
 * console, SDKs, the CLI and other services, with reads, writes, some errors and real resources; then a burst of
 * one write call that the insights detector flags. Deterministic for a seed, so a test knows what to expect.
 */

export const DEMO_ACCOUNT_ID = '123456789012';
const REGION = 'us-east-1';

interface DemoApp {
  readonly eventSource: string;
  readonly resourceType: string;
  /** ARN of resource number `n`. */
  readonly arn: (n: number) => string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

const APPS: readonly DemoApp[] = [
  {
    eventSource: 'orders.example.com',
    resourceType: 'Example::Orders::Order',
    arn: (n) => `arn:aws:orders:${REGION}:${DEMO_ACCOUNT_ID}:order/o-${1000 + n}`,
    reads: ['GetOrder', 'ListOrders', 'DescribeShipment'],
    writes: ['CreateOrder', 'UpdateOrder', 'CancelOrder', 'ShipOrder'],
  },
  {
    eventSource: 'billing.example.com',
    resourceType: 'Example::Billing::Invoice',
    arn: (n) => `arn:aws:billing:${REGION}:${DEMO_ACCOUNT_ID}:invoice/inv-${5000 + n}`,
    reads: ['GetInvoice', 'ListInvoices'],
    writes: ['CreateInvoice', 'PayInvoice', 'RefundPayment'],
  },
  {
    eventSource: 'auth.example.com',
    resourceType: 'Example::Auth::User',
    arn: (n) => `arn:aws:auth:${REGION}:${DEMO_ACCOUNT_ID}:user/u-${200 + n}`,
    reads: ['GetUser', 'ListUsers'],
    writes: ['CreateUser', 'UpdateUser', 'DeleteUser'],
  },
];

/** Who calls, and with which client: the fields client-type inference reads (lambda/core/client-type.ts). */
interface Actor {
  readonly client: 'console' | 'sdk' | 'cli' | 'service';
  readonly userIdentity: ProducerEvent['userIdentity'];
  readonly userAgent: string;
  readonly sourceIPAddress: string;
  /** How often this actor calls, relative to the others. */
  readonly weight: number;
  /** Share of write calls. */
  readonly writeShare: number;
}

const user = (userName: string) => ({
  type: 'IAMUser',
  userName,
  principalId: `AIDA${userName.toUpperCase().padEnd(17, 'X')}`,
  arn: `arn:aws:iam::${DEMO_ACCOUNT_ID}:user/${userName}`,
  accountId: DEMO_ACCOUNT_ID,
  accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, '0')}`,
});

const role = (roleName: string, session: string) => ({
  type: 'AssumedRole',
  userName: roleName,
  principalId: `AROA${roleName.toUpperCase().replace(/-/g, '').padEnd(17, 'X')}:${session}`,
  arn: `arn:aws:sts::${DEMO_ACCOUNT_ID}:assumed-role/${roleName}/${session}`,
  accountId: DEMO_ACCOUNT_ID,
});

const ACTORS: readonly Actor[] = [
  {
    client: 'console',
    userIdentity: user('alice'),
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
    sourceIPAddress: '203.0.113.10',
    weight: 2,
    writeShare: 0.3,
  },
  {
    client: 'cli',
    userIdentity: user('bob'),
    userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.11.9',
    sourceIPAddress: '198.51.100.24',
    weight: 2,
    writeShare: 0.4,
  },
  {
    client: 'sdk',
    userIdentity: role('checkout-service', 'checkout-7f3a'),
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.18.0 api/orders#3.700.0',
    sourceIPAddress: '10.0.12.34',
    weight: 4,
    writeShare: 0.35,
  },
  {
    client: 'sdk',
    userIdentity: role('reporting-job', 'nightly'),
    userAgent: 'Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1 lang/python#3.12.4',
    sourceIPAddress: '10.0.40.7',
    weight: 2,
    writeShare: 0.05,
  },
  {
    client: 'service',
    userIdentity: {
      type: 'AWSService',
      principalId: 'events.amazonaws.com',
      invokedBy: 'events.amazonaws.com',
    },
    userAgent: 'events.amazonaws.com',
    sourceIPAddress: 'events.amazonaws.com',
    weight: 1,
    writeShare: 0.6,
  },
];

const ERRORS = [
  { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this action' },
  { errorCode: 'ValidationException', errorMessage: 'A required parameter is missing' },
  { errorCode: 'ResourceNotFoundException', errorMessage: 'The resource does not exist' },
] as const;
const ERROR_SHARE = 0.06;
/** Resources per app; a small pool so lookups by ResourceName find several events. */
const RESOURCES_PER_APP = 25;

/** The write call the burst hammers: a CI robot creating access keys from the CLI, minute after minute. */
export const BURST_KEY = { eventSource: 'auth.example.com', eventName: 'CreateAccessKey' } as const;
const BURST_ACTOR: Actor = {
  client: 'cli',
  userIdentity: role('ci-deployer', 'build-4711'),
  userAgent: 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.11.9',
  sourceIPAddress: '192.0.2.77',
  weight: 0,
  writeShare: 1,
};
/** Calls per minute of the burst key: its usual rate, and during the burst (3 minutes). */
const BURST_BASELINE_PER_MINUTE = 2;
const BURST_PER_MINUTE = 40;
const BURST_MINUTES = 3;
/**
 * The burst ends this many minutes before now: the insights run judges a minute once it is 2 minutes old
 * (late events), so the whole burst is judged by the first run after the traffic.
 */
const BURST_ENDS_MINUTES_AGO = 3;

export interface TrafficOptions {
  /** Events in all, background and insight traffic together. */
  readonly events: number;
  /** History the traffic spreads over, back-dated; the insights baseline must cover it. */
  readonly baselineMinutes: number;
  readonly nowMs: number;
  /** Makes producer ids unique per run, so runs against the same trail never collide. */
  readonly runId: string;
  /** @default 1 */
  readonly seed?: number;
}

export interface PlannedEvent {
  /** The app it belongs to (eventSource), for progress per app. */
  readonly app: string;
  readonly event: ProducerEvent & { readonly id: string };
}

/** Lookups the demo shows, each with the events of this run it must find. */
export interface ExampleLookup {
  readonly title: string;
  readonly query: Readonly<Record<string, string>>;
  /** Producer ids of the planned events the lookup must return. */
  readonly expectedIds: readonly string[];
}

export interface TrafficPlan {
  readonly events: readonly PlannedEvent[];
  readonly lookups: readonly ExampleLookup[];
  readonly burst: { readonly eventSource: string; readonly eventName: string; readonly events: number };
}

/** The smallest --events that still leaves background traffic next to the insight's own. */
export const minimumEvents = (baselineMinutes: number): number => insightEventCount(baselineMinutes) + 50;

/** The burst key's calls: its trickle from the start of the window until the burst, then the burst. */
const insightEventCount = (baselineMinutes: number): number =>
  BURST_BASELINE_PER_MINUTE * (baselineMinutes - BURST_ENDS_MINUTES_AGO + 1 - BURST_MINUTES) +
  BURST_PER_MINUTE * BURST_MINUTES;

export function planTraffic(options: TrafficOptions): TrafficPlan {
  if (options.events < minimumEvents(options.baselineMinutes)) {
    throw new RangeError(
      `at least ${minimumEvents(options.baselineMinutes)} events are needed with a ${options.baselineMinutes}-minute baseline`,
    );
  }
  const random = seededRandom(options.seed ?? 1);
  const nowMinute = Math.floor(options.nowMs / 60_000);
  const firstMinute = nowMinute - options.baselineMinutes;
  const totalWeight = ACTORS.reduce((sum, actor) => sum + actor.weight, 0);
  const pickActor = (): Actor => {
    let ticket = random() * totalWeight;
    for (const actor of ACTORS) {
      ticket -= actor.weight;
      if (ticket < 0) return actor;
    }
    return ACTORS[0] as Actor;
  };
  const planned: PlannedEvent[] = [];
  const add = (actor: Actor, app: DemoApp, eventName: string, timeMs: number, resource: number) => {
    const id = `demo-${options.runId}-${planned.length}`;
    const failure =
      eventName === BURST_KEY.eventName || random() >= ERROR_SHARE ? undefined : pick(random, ERRORS);
    const event: ProducerEvent & { id: string } = {
      id,
      eventTime: new Date(timeMs).toISOString(),
      eventSource: app.eventSource,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: actor.sourceIPAddress,
      userAgent: actor.userAgent,
      userIdentity: actor.userIdentity,
      requestID: `req-${options.runId}-${planned.length}`,
      requestParameters: { resourceId: app.arn(resource).split('/').pop() ?? '' },
      resources: [{ ARN: app.arn(resource), accountId: DEMO_ACCOUNT_ID, type: app.resourceType }],
      ...(actor.client === 'console' ? { eventType: 'ConsoleAction' as const } : {}),
      ...(failure ?? {}),
    };
    planned.push({ app: app.eventSource, event });
  };

  // Background: spread evenly over the window (past minutes only), so no key stands out.
  const background = options.events - insightEventCount(options.baselineMinutes);
  const windowMs = options.baselineMinutes * 60_000;
  for (let i = 0; i < background; i++) {
    const actor = pickActor();
    const app = pick(random, APPS);
    const eventName = random() < actor.writeShare ? pick(random, app.writes) : pick(random, app.reads);
    add(actor, app, eventName, firstMinute * 60_000 + Math.floor(random() * windowMs), skewed(random));
  }

  // The burst key: its usual trickle over the window, then the burst.
  const authApp = APPS.find((app) => app.eventSource === BURST_KEY.eventSource) as DemoApp;
  const burstStart = nowMinute - BURST_ENDS_MINUTES_AGO - BURST_MINUTES + 1;
  for (let minute = firstMinute; minute <= nowMinute - BURST_ENDS_MINUTES_AGO; minute++) {
    const calls = minute >= burstStart ? BURST_PER_MINUTE : BURST_BASELINE_PER_MINUTE;
    for (let i = 0; i < calls; i++) {
      add(
        BURST_ACTOR,
        authApp,
        BURST_KEY.eventName,
        minute * 60_000 + Math.floor((i * 60_000) / calls),
        i % 5,
      );
    }
  }

  const ids = (match: (event: ProducerEvent) => boolean) =>
    planned.filter(({ event }) => match(event)).map(({ event }) => event.id);
  const hotResource = APPS[0]?.arn(0) ?? '';
  return {
    events: planned,
    lookups: [
      {
        title: "alice's console activity",
        query: { Username: 'alice' },
        expectedIds: ids((event) => event.userIdentity.userName === 'alice'),
      },
      {
        title: 'every CreateOrder call',
        query: { EventName: 'CreateOrder' },
        expectedIds: ids((event) => event.eventName === 'CreateOrder'),
      },
      {
        title: 'the busiest order',
        query: { ResourceName: hotResource },
        expectedIds: ids(
          (event) => event.resources?.some((resource) => resource.ARN === hotResource) ?? false,
        ),
      },
    ],
    burst: {
      ...BURST_KEY,
      events: planned.filter(({ event }) => event.eventName === BURST_KEY.eventName).length,
    },
  };
}

/** A few resources get most of the calls, as in real systems. */
const skewed = (random: () => number): number => Math.floor(random() ** 2 * RESOURCES_PER_APP);
