import { type Acknowledgment, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  type CorsPreflightOptions,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  CHANNEL_NAME_PATTERN,
  type Channel,
  channelArn,
  DEFAULT_CHANNEL_NAME,
} from '../../lambda/core/cloudtrail/channels.js';
import {
  type RouteAccess,
  routeKey,
  routesWithAccess,
  TRAIL_ROUTE_NAMES,
  TRAIL_ROUTES,
  type TrailRouteName,
} from '../../lambda/core/trail-routes.js';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../../lambda/manifest/functions.js';
import { definedProps } from '../props-merge.js';
import { positiveNumberProblem, throwIfInvalid } from '../props-validation.js';
import {
  createTrailFunction,
  grantPermissions,
  type PermissionGrants,
  RUNTIME_ACKNOWLEDGMENTS,
  type SettingValues,
  type TrailFunctionProps,
} from '../trail-function.js';
import { functionsOf } from '../trail-functions.js';
import type { EventStore } from './event-store.js';

export type { TrailFunctionProps } from '../trail-function.js';

/** A CloudTrail Lake-style channel: a named source producers put to with PutAuditEvents. */
export interface ChannelProps {
  /** 3 to 128 letters, digits, `.`, `_` or `-` (CloudTrail's channel name rules); unique within the API. */
  readonly name: string;
  /** IAM principal ARNs allowed to put to this channel; default any producer */
  readonly principals?: readonly string[];
}

export interface TrailApiProps {
  /** The table the ingest function writes and the lookup function reads. */
  readonly eventStore: EventStore;
  /**
   * Retention of the function log groups and the API access log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Throttling of the default stage, applied to every route. A field left out keeps its default.
   *
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Throttling of each put route (`POST /events`, `POST /PutAuditEvents`), its own token bucket, so a producer
   * flood is throttled before it takes the lookup side's share. A field left out keeps its default.
   *
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly putThrottle?: ThrottleSettings;
  /**
   * Throttling of each lookup route (`GET /events`, `GET /events/{eventId}`, `POST /`), its own token bucket.
   *
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly lookupThrottle?: ThrottleSettings;
  /**
   * Reserves each function's concurrency as the manifest sizes it (lambda/manifest/functions.ts).
   *
   * @default true
   */
  readonly reservedConcurrency?: boolean;
  /**
   * Overrides for the ingest function (memory, timeout, runtime, environment, bundling ...). Environment variables
   * named in `TRAIL_ENV` are set by the construct and win.
   *
   * @default - arm64, Node.js 22, 512 MB, 15 s, bundled ES module
   */
  readonly ingestFunctionProps?: TrailFunctionProps;
  /**
   * Overrides for the lookup function, as for `ingestFunctionProps`.
   *
   * @default - arm64, Node.js 22, 512 MB, 15 s, bundled ES module
   */
  readonly lookupFunctionProps?: TrailFunctionProps;
  /**
   * The channels `POST /PutAuditEvents` accepts; each has the ARN `arn:<partition>:cloudtrail:<region>:<account>:channel/<name>`
   * (see `channelArns`).
   *
   * @default - one channel named `default` that any producer may put to
   */
  readonly channels?: readonly ChannelProps[];
  /**
   * Values of further settings the API functions read (lambda/manifest/settings.ts), e.g. the Trail's selectors
   * and redaction rules; each function receives those its manifest entry lists.
   *
   * @default - none
   */
  readonly settings?: SettingValues;
  /**
   * Browser origins (`https://host`) CORS admits to the API: the console's, set by the Trail. Preflights are answered
   * by API Gateway; every route still requires SigV4.
   *
   * @default - no CORS configuration
   */
  readonly corsOrigins?: string[];
  /**
   * Grants for permissions the API functions' manifest entries name on resources other constructs own (the Trail
   * passes the integrity ledger's `ledger:read`).
   *
   * @default - `ledger:read` grants nothing
   */
  readonly grants?: PermissionGrants;
}

const TRAIL_API_DEFAULTS = {
  logRetention: RetentionDays.ONE_MONTH,
  throttle: { rateLimit: 1000, burstLimit: 2000 },
  // A lookup costs more than a put (a page of up to 1,000 records): readers get a smaller bucket of their own.
  sideThrottle: {
    put: { rateLimit: 1000, burstLimit: 2000 },
    lookup: { rateLimit: 100, burstLimit: 200 },
  },
  // Above the write path's worst case with a stalled store (about 18 s, DynamoDbEventStore writeBudgetMs).
} as const satisfies {
  logRetention: RetentionDays;
  throttle: Required<ThrottleSettings>;
  sideThrottle: Record<RouteAccess, Required<ThrottleSettings>>;
};

/** HTTP API context variables, one JSON object per request (HTTP API logging variables). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationError: '$context.integrationErrorMessage',
  principal: '$context.identity.userArn',
};

/** Findings every API function carries, each with why it stands. */
const FUNCTION_ACKNOWLEDGMENTS: readonly Acknowledgment[] = [
  ...RUNTIME_ACKNOWLEDGMENTS,
  {
    id: 'Serverless-LambdaDLQ',
    reason:
      'API Gateway invokes the function synchronously and returns its error to the caller; a dead-letter queue ' +
      'only ever receives failed asynchronous invocations, which this function never gets.',
  },
];

/** Problems with the channels prop, each named, so all are reported at once (the Trail reports them with its own). */
export function channelProblems(channels: readonly ChannelProps[]): string[] {
  const problems: string[] = [];
  if (channels.length === 0)
    problems.push('channels must name at least one channel (leave it out for `default`)');
  const seen = new Set<string>();
  channels.forEach(({ name, principals }, index) => {
    if (!CHANNEL_NAME_PATTERN.test(name)) {
      problems.push(
        `channels[${index}].name must be 3 to 128 letters, digits, '.', '_' or '-' (got ${JSON.stringify(name)})`,
      );
    }
    if (seen.has(name)) problems.push(`channels[${index}].name repeats ${JSON.stringify(name)}`);
    seen.add(name);
    if (principals !== undefined && principals.length === 0) {
      problems.push(`channels[${index}].principals is empty: leave it out to admit every producer`);
    }
  });
  return problems;
}

/** CORS for a browser that signs its requests (aws4fetch): the SigV4 headers, and POST / with its X-Amz-Target. */
function corsPreflight(allowOrigins: string[]): CorsPreflightOptions {
  return {
    allowOrigins,
    allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
    allowHeaders: [
      'authorization',
      'content-type',
      'x-amz-date',
      'x-amz-content-sha256',
      'x-amz-security-token',
      'x-amz-target',
      'x-amz-user-agent',
    ],
    maxAge: Duration.hours(1),
  };
}

/**
 * The trail's HTTP API: producers `POST /events` and `POST /PutAuditEvents` (CloudTrail Data), readers
 * `GET /events`, `GET /events/{eventId}` and `POST /` (CloudTrail's LookupEvents). Every route requires IAM
 * (SigV4) auth; `grantPut` and `grantLookup` hand out exactly one side.
 */
export class TrailApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly ingestFunction: NodejsFunction;
  public readonly lookupFunction: NodejsFunction;
  /** Key that signs pagination tokens, so a client cannot forge or alter one. */
  public readonly tokenSecret: Secret;
  /** Channel name -> channel ARN, for PutAuditEvents' `channelArn`. */
  public readonly channelArns: Readonly<Record<string, string>>;

  /** One route per entry of TRAIL_ROUTES (lambda/core/trail-routes.ts), which local mode enforces too. */
  private readonly routes: Record<TrailRouteName, HttpRoute>;
  /** The API functions of the manifest, by name. */
  private readonly functions: ReadonlyMap<FunctionName, NodejsFunction>;

  constructor(scope: Construct, id: string, props: TrailApiProps) {
    super(scope, id);
    const channels = props.channels ?? [{ name: DEFAULT_CHANNEL_NAME }];
    throwIfInvalid('TrailApi', [
      positiveNumberProblem('throttle.rateLimit', props.throttle?.rateLimit),
      positiveNumberProblem('throttle.burstLimit', props.throttle?.burstLimit),
      positiveNumberProblem('putThrottle.rateLimit', props.putThrottle?.rateLimit),
      positiveNumberProblem('putThrottle.burstLimit', props.putThrottle?.burstLimit),
      positiveNumberProblem('lookupThrottle.rateLimit', props.lookupThrottle?.rateLimit),
      positiveNumberProblem('lookupThrottle.burstLimit', props.lookupThrottle?.burstLimit),
      ...channelProblems(channels),
    ]);
    const stack = Stack.of(this);
    const declaredChannels: Array<Omit<Channel, 'name'>> = channels.map(({ name, principals }) => ({
      arn: channelArn(stack.partition, stack.region, stack.account, name),
      ...(principals === undefined ? {} : { principals }),
    }));
    this.channelArns = Object.fromEntries(
      channels.map(({ name }, i) => [name, declaredChannels[i]?.arn ?? '']),
    );
    const logRetention = props.logRetention ?? TRAIL_API_DEFAULTS.logRetention;
    const { eventStore } = props;

    this.tokenSecret = new Secret(this, 'TokenSecret', {
      description: 'HMAC key that signs OpenTrail lookup pagination tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'HMAC key for pagination tokens, not a credential: a forged token can only ask for a query its caller may ' +
        'already run through IAM, and rotating the key would break NextTokens in flight. Replace the secret if it leaks.',
    });

    // Every API function of the manifest, with what it reads and what it may touch.
    const settings: SettingValues = {
      tableName: eventStore.table.tableName,
      retentionDays: eventStore.retentionDays,
      writeShards: eventStore.writeShards,
      channels: stack.toJsonString(declaredChannels),
      tokenSecretArn: this.tokenSecret.secretArn,
      ...props.settings,
    };
    const grants: PermissionGrants = {
      'events:write': (grantee) => eventStore.grantWriteEvents(grantee),
      'events:read': (grantee) => eventStore.grantReadEvents(grantee),
      'tokenSecret:read': (grantee) => this.tokenSecret.grantRead(grantee),
      // Without an integrity ledger (the Trail passes its grant) there is nothing to read.
      'ledger:read': () => undefined,
      ...props.grants,
    };
    const userProps: Partial<Record<FunctionName, TrailFunctionProps>> = {
      ingest: props.ingestFunctionProps,
      lookup: props.lookupFunctionProps,
    };
    this.functions = new Map(
      functionsOf('api', 'http').map((name) => {
        const spec = FUNCTIONS[name];
        const fn = createTrailFunction(this, spec.constructId, {
          spec,
          userProps: userProps[name],
          settings,
          logRetention,
          acknowledgments: FUNCTION_ACKNOWLEDGMENTS,
          reserveConcurrency: props.reservedConcurrency ?? true,
        });
        grantPermissions(fn, spec, grants);
        return [name, fn];
      }),
    );
    this.ingestFunction = this.functionNamed('ingest');
    this.lookupFunction = this.functionNamed('lookup');

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'OpenTrail: put and look up activity events (IAM auth)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The stage is added below: HttpApi's own default stage takes no access log or throttling settings.
      createDefaultStage: false,
      ...(props.corsOrigins?.length ? { corsPreflight: corsPreflight(props.corsOrigins) } : {}),
    });
    const accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: logRetention });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...TRAIL_API_DEFAULTS.throttle, ...definedProps(props.throttle) },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // Each route on the function the manifest gives it, CloudTrail's wire protocols included (docs/cloudtrail-compat.md).
    const routes: Partial<Record<TrailRouteName, HttpRoute>> = {};
    for (const [name, fn] of this.functions) {
      const spec: FunctionSpec = FUNCTIONS[name];
      const integration = new HttpLambdaIntegration(`${spec.constructId}Integration`, fn);
      for (const trigger of spec.triggers) {
        if (trigger.kind !== 'http') continue;
        for (const route of trigger.routes) {
          const { method, path } = TRAIL_ROUTES[route];
          routes[route] = new HttpRoute(this, `${route}Route`, {
            httpApi: this.httpApi,
            routeKey: HttpRouteKey.with(path, HttpMethod[method]),
            integration,
          });
        }
      }
    }
    const unserved = TRAIL_ROUTE_NAMES.filter((route) => routes[route] === undefined);
    if (unserved.length > 0) throw new Error(`TrailApi: no function serves ${unserved.join(', ')}`);
    this.routes = routes as Record<TrailRouteName, HttpRoute>;

    // Each side's routes with a bucket of their own (HTTP API route-level throttling, Stage RouteSettings).
    const sideThrottle: Record<RouteAccess, Required<ThrottleSettings>> = {
      put: { ...TRAIL_API_DEFAULTS.sideThrottle.put, ...definedProps(props.putThrottle) },
      lookup: { ...TRAIL_API_DEFAULTS.sideThrottle.lookup, ...definedProps(props.lookupThrottle) },
    };
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      TRAIL_ROUTE_NAMES.map((name) => {
        const { rateLimit, burstLimit } = sideThrottle[TRAIL_ROUTES[name].access];
        return [
          routeKey(TRAIL_ROUTES[name]),
          { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
        ];
      }),
    );
    // A stage can only name routes that exist.
    for (const route of Object.values(this.routes)) cfnStage.node.addDependency(route);
  }

  /** The URL of the default stage. */
  public get url(): string {
    return this.stage.url;
  }

  /** Lets a producer call `POST /events` and `POST /PutAuditEvents`, and nothing else. */
  public grantPut(grantee: IGrantable): Grant {
    return this.grantRoutes(grantee, 'put');
  }

  /** Lets a reader call `GET /events`, `GET /events/{eventId}` and `POST /` (LookupEvents), and nothing else. */
  public grantLookup(grantee: IGrantable): Grant {
    return this.grantRoutes(grantee, 'lookup');
  }

  private grantRoutes(grantee: IGrantable, access: RouteAccess): Grant {
    return routesWithAccess(access)
      .map((name) => this.routes[name].grantInvoke(grantee))
      .reduce((all, grant) => all.combine(grant));
  }

  private functionNamed(name: FunctionName): NodejsFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw new Error(`TrailApi: the manifest has no API function ${name}`);
    return fn;
  }
}
