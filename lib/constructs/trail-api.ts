import { type Acknowledgment, Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
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
import { TRAIL_ENV } from '../../lambda/core/environment.js';
import type { FunctionSizing } from '../defaults/lambda.js';
import { definedProps } from '../props-merge.js';
import { positiveNumberProblem, throwIfInvalid } from '../props-validation.js';
import { createTrailFunction, RUNTIME_ACKNOWLEDGMENTS, type TrailFunctionProps } from '../trail-function.js';
import type { EventStore } from './event-store.js';

export type { TrailFunctionProps } from '../trail-function.js';

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
}

const TRAIL_API_DEFAULTS = {
  logRetention: RetentionDays.ONE_MONTH,
  throttle: { rateLimit: 1000, burstLimit: 2000 },
  ingestSizing: { memorySize: 512, timeout: Duration.seconds(15) },
  lookupSizing: { memorySize: 512, timeout: Duration.seconds(15) },
} as const satisfies {
  logRetention: RetentionDays;
  throttle: Required<ThrottleSettings>;
  ingestSizing: FunctionSizing;
  lookupSizing: FunctionSizing;
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

/**
 * The trail's HTTP API: producers `POST /events`, readers `GET /events` and `GET /events/{eventId}`. Every route
 * requires IAM (SigV4) auth; `grantPut` and `grantLookup` hand out exactly one side.
 */
export class TrailApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly ingestFunction: NodejsFunction;
  public readonly lookupFunction: NodejsFunction;
  /** Key that signs pagination tokens, so a client cannot forge or alter one. */
  public readonly tokenSecret: Secret;

  private readonly putEventsRoute: HttpRoute;
  private readonly listEventsRoute: HttpRoute;
  private readonly getEventRoute: HttpRoute;

  constructor(scope: Construct, id: string, props: TrailApiProps) {
    super(scope, id);
    throwIfInvalid('TrailApi', [
      positiveNumberProblem('throttle.rateLimit', props.throttle?.rateLimit),
      positiveNumberProblem('throttle.burstLimit', props.throttle?.burstLimit),
    ]);
    const logRetention = props.logRetention ?? TRAIL_API_DEFAULTS.logRetention;
    const { eventStore } = props;
    const storeEnvironment = {
      [TRAIL_ENV.tableName]: eventStore.table.tableName,
      [TRAIL_ENV.retentionDays]: String(eventStore.retentionDays),
      [TRAIL_ENV.writeShards]: String(eventStore.writeShards),
    };

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

    this.ingestFunction = this.createFunction('Ingest', {
      entry: 'lambda/handlers/ingest.ts',
      sizing: TRAIL_API_DEFAULTS.ingestSizing,
      userProps: props.ingestFunctionProps,
      environment: storeEnvironment,
      logRetention,
    });
    this.lookupFunction = this.createFunction('Lookup', {
      entry: 'lambda/handlers/lookup.ts',
      sizing: TRAIL_API_DEFAULTS.lookupSizing,
      userProps: props.lookupFunctionProps,
      environment: { ...storeEnvironment, [TRAIL_ENV.tokenSecretArn]: this.tokenSecret.secretArn },
      logRetention,
    });
    eventStore.grantWriteEvents(this.ingestFunction);
    eventStore.grantReadEvents(this.lookupFunction);
    this.tokenSecret.grantRead(this.lookupFunction);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'OpenTrail: put and look up activity events (IAM auth)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The stage is added below: HttpApi's own default stage takes no access log or throttling settings.
      createDefaultStage: false,
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

    const ingestIntegration = new HttpLambdaIntegration('IngestIntegration', this.ingestFunction);
    const lookupIntegration = new HttpLambdaIntegration('LookupIntegration', this.lookupFunction);
    this.putEventsRoute = this.addRoute('PutEventsRoute', '/events', HttpMethod.POST, ingestIntegration);
    this.listEventsRoute = this.addRoute('ListEventsRoute', '/events', HttpMethod.GET, lookupIntegration);
    this.getEventRoute = this.addRoute(
      'GetEventRoute',
      '/events/{eventId}',
      HttpMethod.GET,
      lookupIntegration,
    );
  }

  /** The URL of the default stage. */
  public get url(): string {
    return this.stage.url;
  }

  /** Lets a producer call `POST /events`, and nothing else. */
  public grantPut(grantee: IGrantable): Grant {
    return this.putEventsRoute.grantInvoke(grantee);
  }

  /** Lets a reader call `GET /events` and `GET /events/{eventId}`, and nothing else. */
  public grantLookup(grantee: IGrantable): Grant {
    return this.listEventsRoute.grantInvoke(grantee).combine(this.getEventRoute.grantInvoke(grantee));
  }

  private addRoute(id: string, routePath: string, method: HttpMethod, integration: HttpLambdaIntegration) {
    return new HttpRoute(this, id, {
      httpApi: this.httpApi,
      routeKey: HttpRouteKey.with(routePath, method),
      integration,
    });
  }

  private createFunction(
    id: string,
    options: {
      entry: string;
      sizing: FunctionSizing;
      userProps: TrailFunctionProps | undefined;
      environment: Record<string, string>;
      logRetention: RetentionDays;
    },
  ): NodejsFunction {
    return createTrailFunction(this, id, { ...options, acknowledgments: FUNCTION_ACKNOWLEDGMENTS });
  }
}
