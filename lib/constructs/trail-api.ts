import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { type Grant, type IGrantable, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TRAIL_ENV } from '../../lambda/core/environment.js';
import {
  defaultNodejsFunctionProps,
  type FunctionSizing,
  mergeNodejsFunctionProps,
} from '../defaults/lambda.js';
import { definedProps } from '../props-merge.js';
import { positiveNumberProblem, throwIfInvalid } from '../props-validation.js';
import type { EventStore } from './event-store.js';

const REPO_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Function settings the construct owns: code, handler, role and log group. */
type OwnedFunctionProp =
  | 'entry'
  | 'handler'
  | 'code'
  | 'projectRoot'
  | 'depsLockFilePath'
  | 'role'
  | 'logGroup'
  | 'logRetention';

/** `NodejsFunctionProps` without the settings the construct owns. */
export type TrailFunctionProps = Omit<NodejsFunctionProps, OwnedFunctionProp>;

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
  {
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 22 is pinned on purpose (issue 3): a supported LTS runtime that matches the esbuild target node22. ' +
      'Moving to nodejs24.x is a deliberate, tested change through functionProps.runtime, not a lint fix.',
  },
  {
    id: 'Serverless-LambdaLatestVersion',
    reason: 'Same finding as AwsSolutions-L1: Node.js 22 is pinned on purpose, see there.',
  },
  {
    id: 'Serverless-LambdaDLQ',
    reason:
      'API Gateway invokes the function synchronously and returns its error to the caller; a dead-letter queue ' +
      'only ever receives failed asynchronous invocations, which this function never gets.',
  },
  {
    id: 'Serverless-LambdaTracing',
    reason:
      'X-Ray is opt-in (functionProps.tracing): the handlers emit no subsegments yet, so a trace would add little ' +
      'to the JSON access log and the Lambda metrics, while its price grows with ingest volume.',
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
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: options.logRetention });
    // Its own role, allowed to write to its own log group only; the AWSLambdaBasicExecutionRole managed policy
    // would allow writing to every log group in the account.
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(
      this,
      `${id}Function`,
      mergeNodejsFunctionProps(defaultNodejsFunctionProps(options.sizing), options.userProps ?? {}, {
        entry: path.join(REPO_ROOT, options.entry),
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
        role,
        logGroup,
        environment: options.environment,
      }),
    );
    Validations.of(fn).acknowledge(...FUNCTION_ACKNOWLEDGMENTS);
    return fn;
  }
}
