import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CfnResource, DockerImage, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  AccountRecovery,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { IdentityPool, UserPoolAuthenticationProvider } from 'aws-cdk-lib/aws-cognito-identitypool';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { type NagRuleResult, rules } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';
import type { CognitoConfig } from '../../console/src/cognito.js';
import { CONSOLE_PAGE } from '../../console/src/paths.js';
import { defaultArchiveBucketProps } from '../defaults/s3.js';
import { throwIfInvalid } from '../props-validation.js';

/** The console's source folder and its builder (console/build.ts, the one local mode calls). */
const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');
const REPO_ROOT = dirname(CONSOLE_DIR);

/** The console's pages live under /console/ (console/src/nav.ts BASE), so its files do too. */
const CONSOLE_PREFIX = 'console/';

/** Options of the console a Trail composes (`console: { ... }`). */
export interface ConsoleSiteOptions {
  /**
   * Custom domain names for the distribution (for example `audit.example.com`). Requires `certificate`.
   *
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly domainNames?: string[];
  /**
   * ACM certificate (in us-east-1) for `domainNames`; with it the viewer side is TLS 1.2+ (TLSv1.2_2021).
   * Requires `domainNames`.
   *
   * @default - CloudFront's default certificate, which also accepts TLS 1.0 and 1.1 (docs/deploy.md)
   */
  readonly certificate?: ICertificate;
  /**
   * Prefix of the Cognito domain (`<prefix>.auth.<region>.amazoncognito.com`) the sign-in pages are served on:
   * lower-case letters, digits and hyphens, unique in the region, without `aws`, `amazon` or `cognito`.
   *
   * @default - `opentrail-<hash of this construct's path>-<account>`
   */
  readonly cognitoDomainPrefix?: string;
}

export interface ConsoleSiteProps extends ConsoleSiteOptions {
  /** Base URL of the trail's API, which the console calls. */
  readonly apiUrl: string;
  /** Gives the signed-in investigators' role exactly what the console needs (the Trail passes `grantLookup`). */
  readonly grantLookup: (grantee: IGrantable) => void;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** What the console finds in /console/config.json in AWS (docs/console.md, "In AWS"). */
export type ConsoleRuntimeConfig = CognitoConfig;

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function consoleSitePropsProblems(props: ConsoleSiteOptions): string[] {
  const problems: string[] = [];
  const hasDomains = (props.domainNames?.length ?? 0) > 0;
  if (hasDomains !== (props.certificate !== undefined)) {
    problems.push('domainNames and certificate go together: give both or neither');
  }
  const prefix = props.cognitoDomainPrefix;
  if (prefix !== undefined && (!DOMAIN_PREFIX.test(prefix) || /aws|amazon|cognito/.test(prefix))) {
    problems.push(
      `cognitoDomainPrefix must be 1 to 63 lower-case letters, digits or inner hyphens, without aws, amazon ` +
        `or cognito (got ${JSON.stringify(prefix)})`,
    );
  }
  return problems;
}

/**
 * The investigator's console in AWS: the built console in a private bucket behind CloudFront (origin access
 * control, security headers), sign-in with a Cognito user pool (admin-created users, TOTP MFA required) and an
 * identity pool whose signed-in role may only look events up. Its config.json tells the console where all that is.
 */
export class ConsoleSite extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  public readonly responseHeadersPolicy: ResponseHeadersPolicy;
  public readonly userPool: UserPool;
  public readonly userPoolClient: UserPoolClient;
  public readonly userPoolDomain: UserPoolDomain;
  public readonly identityPool: IdentityPool;
  public readonly deployment: BucketDeployment;
  /** Answers the console's pages (`/console/insights/<id>`, `/console/events/<id>`...) with index.html. */
  public readonly pageFunction: CloudFrontFunction;
  /** What the console may connect to (`connect-src`): 'self', the API, the Cognito domain and regional endpoints. */
  public readonly connectSources: readonly string[];
  /** The console's index.html as deployed: the built page with its connect-src policy in a meta element. */
  public readonly indexPage: string;
  /** The origin CORS on the API admits: `https://<first domain name or the distribution's>`. */
  public readonly origin: string;
  /** The console's address: `<origin>/console/`. */
  public readonly url: string;
  public readonly runtimeConfig: ConsoleRuntimeConfig;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    throwIfInvalid('ConsoleSite', consoleSitePropsProblems(props));
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // The archive's private-bucket defaults, with S3-managed keys: CloudFront's OAC reads SSE-KMS objects only when
    // the key policy lets it, and the console's files are no secret worth a key of their own.
    this.bucket = new Bucket(this, 'Bucket', {
      ...defaultArchiveBucketProps(),
      encryption: BucketEncryption.S3_MANAGED,
      removalPolicy,
      // A development stack takes the bucket with it: a versioned bucket must be emptied first.
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the console build and its config.json, written by the deployment; every read goes ' +
        'through CloudFront, and the data the console shows is reached through the API, whose access log records it.',
    });

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Users are a few investigators created by an administrator, with TOTP MFA required for each sign-in; the ' +
        "Plus tier's threat protection is charged per monthly active user and adds little to admin-created, MFA-bound accounts.",
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason:
        'Advanced security (threat protection) needs the Plus tier; see AwsSolutions-COG8 on this pool: admin-created ' +
        'users with TOTP MFA required.',
    });

    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: {
        // A prefix is global within a region: the construct's path tells two trails of one account apart, the
        // account two accounts.
        domainPrefix:
          props.cognitoDomainPrefix ??
          Fn.join('-', ['opentrail', this.node.addr.slice(2, 10), stack.account]),
      },
    });

    const apiUrl = props.apiUrl.replace(/\/$/, '');
    const cognitoDomain = this.userPoolDomain.baseUrl();
    // Exactly what the console connects to: its own config.json, the API, the user pool's domain (token, revoke)
    // and the regional Cognito endpoints (cognito-identity for GetId and GetCredentialsForIdentity).
    this.connectSources = [
      "'self'",
      apiUrl,
      cognitoDomain,
      `https://cognito-idp.${stack.region}.${stack.urlSuffix}`,
      `https://cognito-identity.${stack.region}.${stack.urlSuffix}`,
    ];
    // The header can name the API only when the console has a domain of its own: CORS on the API names the
    // distribution's generated domain, so the headers policy (part of the distribution) naming the API would make a
    // cycle. Then the header admits this region's HTTP APIs, and the page's own policy (indexPage, written by the
    // deployment, which comes after both) narrows connect-src to the exact list: a browser enforces every policy.
    const headerConnectSources = props.domainNames?.length
      ? this.connectSources
      : this.connectSources.map((source) =>
          source === apiUrl ? `https://*.execute-api.${stack.region}.${stack.urlSuffix}` : source,
        );
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'OpenTrail console: CSP without inline script, HSTS, nosniff, DENY framing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            `connect-src ${headerConnectSources.join(' ')}`,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          preload: false,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.indexPage = withConnectPolicy(
      readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'),
      this.connectSources,
    );

    // The console routes /console/<page> in the browser: its pages get index.html, every other path its object or
    // the bucket's answer (a missing file stays a 403/404 rather than a page).
    this.pageFunction = new CloudFrontFunction(this, 'Pages', {
      comment: 'OpenTrail console: answers its pages with index.html',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(consolePagesFunction(`/${CONSOLE_PREFIX}index.html`)),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'OpenTrail console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
        functionAssociations: [{ function: this.pageFunction, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      defaultRootObject: `${CONSOLE_PREFIX}index.html`,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      // A security policy applies only to a custom certificate: the default one's is fixed (AwsSolutions-CFR4 below).
      ...(props.domainNames?.length && props.certificate
        ? {
            domainNames: props.domainNames,
            certificate: props.certificate,
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    this.acknowledgeDistribution(props.certificate !== undefined);

    this.origin = `https://${props.domainNames?.[0] ?? this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/${CONSOLE_PREFIX}`;

    this.userPoolClient = this.userPool.addClient('ConsoleClient', {
      // A browser cannot keep a secret: authorization code without one, with PKCE. Cognito enforces PKCE per request
      // (a code asked for with code_challenge is redeemed only with its code_verifier): the console must send it.
      generateSecret: false,
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });

    this.identityPool = new IdentityPool(this, 'IdentityPool', {
      allowUnauthenticatedIdentities: false,
      authenticationProviders: {
        userPools: [
          new UserPoolAuthenticationProvider({
            userPool: this.userPool,
            userPoolClient: this.userPoolClient,
          }),
        ],
      },
    });
    props.grantLookup(this.identityPool.authenticatedRole);
    acknowledgeFindings(
      this.identityPool.authenticatedRole.node.tryFindChild('DefaultPolicy')?.node.defaultChild,
      'AwsSolutions-IAM5',
      rules.iam.IAMNoWildcardPermissions,
      () =>
        "execute-api:Invoke on one of the trail API's lookup routes (grantLookup): the wildcards stand for the " +
        "stage and the route's path parameter, never another route or API.",
    );

    this.runtimeConfig = {
      region: stack.region,
      apiUrl,
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      identityPoolId: this.identityPool.identityPoolId,
      cognitoDomain,
      redirectUri: this.url,
    };

    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deployment = new BucketDeployment(this, 'Deployment', {
      sources: [
        consoleSource(),
        Source.data('index.html', this.indexPage),
        Source.jsonData('config.json', this.runtimeConfig),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PREFIX,
      // File names carry no content hash (app.js): browsers revalidate, and the deployment invalidates the cache.
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`/${CONSOLE_PREFIX}*`],
      memoryLimit: 512,
      logGroup: deploymentLogs,
    });
    this.acknowledgeDeployment();
  }

  private acknowledgeDistribution(customCertificate: boolean): void {
    const distribution = this.distribution;
    if (!customCertificate) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, which takes no security ' +
          'policy and still accepts TLS 1.0 and 1.1 (CloudFormation has no ViewerCertificate to set TLSv1.2_2021 on). ' +
          'Give console.domainNames and console.certificate for TLS 1.2+ (docs/deploy.md); browsers negotiate 1.2 or 1.3.',
      });
    }
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Investigators may work from anywhere; access is controlled by Cognito sign-in with MFA and IAM on the API, ' +
        'not by country.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'The distribution serves a few static files; the data sits behind the HTTP API (IAM auth, throttling per ' +
        'route) and Cognito, so a web ACL would add a monthly charge without guarding anything the files expose.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        'Requests for the static console files are not audit-relevant; every lookup of events goes to the HTTP API, ' +
        'whose JSON access log records it, and sign-ins are recorded by Cognito.',
    });
  }

  /**
   * cdk-nag's findings on CDK's BucketDeployment handler, a stack-level singleton (one per memory size) whose code,
   * runtime and policy aws-cdk-lib owns.
   */
  private acknowledgeDeployment(): void {
    const role = this.deployment.handlerRole;
    acknowledgeFindings(
      role.node.defaultChild,
      'AwsSolutions-IAM4',
      rules.iam.IAMNoManagedPolicies,
      () =>
        "CDK's BucketDeployment handler runs with AWSLambdaBasicExecutionRole, which only lets it write its own logs.",
    );
    acknowledgeFindings(
      role.node.tryFindChild('DefaultPolicy')?.node.defaultChild,
      'AwsSolutions-IAM5',
      rules.iam.IAMNoWildcardPermissions,
      (finding) =>
        finding === 'Resource::*'
          ? "CDK's BucketDeployment grants cloudfront:CreateInvalidation and GetInvalidation on * (not configurable); " +
            'its handler invalidates only the distribution named in its event.'
          : "CDK's BucketDeployment copies the console asset's objects from the CDK asset bucket into this bucket's " +
            'console/ prefix, replacing and pruning old ones: the object-family wildcards of that copy, scoped to ' +
            'those two buckets.',
    );
    const handler = Stack.of(this)
      .node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))
      ?.node.tryFindChild('Resource');
    if (handler === undefined) throw new Error('ConsoleSite: no BucketDeployment handler in the stack');
    const invokedByCloudFormation =
      'Invoked synchronously by CloudFormation once per deployment: a failure fails the stack update, visibly, and ' +
      'its log group records each run.';
    const reasons: Record<string, string> = {
      'AwsSolutions-L1':
        "CDK's BucketDeployment handler: aws-cdk-lib pins its Python runtime and moves it with CDK upgrades.",
      'Serverless-LambdaLatestVersion':
        "CDK's BucketDeployment handler: aws-cdk-lib pins its Python runtime and moves it with CDK upgrades.",
      'Serverless-LambdaTracing': invokedByCloudFormation,
      'Serverless-LambdaDLQ': invokedByCloudFormation,
      'Serverless-LambdaAsyncFailureDestination': invokedByCloudFormation,
    };
    Validations.of(handler).acknowledge(...Object.entries(reasons).map(([id, reason]) => ({ id, reason })));
  }
}

/**
 * The page with a `<meta>` Content-Security-Policy naming exactly what it may connect to, before anything that
 * connects (a meta policy applies from where it stands).
 */
function withConnectPolicy(page: string, connectSources: readonly string[]): string {
  const charset = '<meta charset="utf-8">';
  if (!page.includes(charset)) throw new Error(`ConsoleSite: console/index.html has no ${charset}`);
  return page.replace(
    charset,
    `${charset}\n    <meta http-equiv="Content-Security-Policy" content="connect-src ${connectSources.join(' ')}">`,
  );
}

/**
 * The viewer-request function (cloudfront-js-2.0): a console page (console/src/paths.ts, the pattern local mode's
 * front uses) is answered with index.html, whose script routes it; `/console` is sent to `/console/`.
 */
function consolePagesFunction(indexPath: string): string {
  return [
    `var PAGE = new RegExp(${JSON.stringify(CONSOLE_PAGE.source)});`,
    'function handler(event) {',
    '  var request = event.request;',
    "  if (request.uri === '/console') {",
    "    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/console/' } } };",
    '  }',
    `  if (PAGE.test(request.uri)) request.uri = ${JSON.stringify(indexPath)};`,
    '  return request;',
    '}',
  ].join('\n');
}

/**
 * Acknowledges each granular finding (`AwsSolutions-IAM5[Resource::...]`) a cdk-nag rule raises on the resource as
 * it stands, each with its reason: the findings name tokens as cdk-nag renders them, so the rule renders them.
 */
function acknowledgeFindings(
  resource: IConstruct | undefined,
  ruleId: string,
  rule: (node: CfnResource) => NagRuleResult,
  reason: (finding: string) => string,
): void {
  if (!(resource instanceof CfnResource)) throw new Error(`ConsoleSite: nothing to check for ${ruleId}`);
  const result = rule(resource);
  if (!Array.isArray(result)) return;
  Validations.of(resource).acknowledge(
    ...result.map((finding) => ({ id: `${ruleId}[${finding}]`, reason: reason(finding) })),
  );
}

/**
 * The built console (index.html, app.js, styles.css and source maps), bundled at synthesis by console/build.ts, the
 * builder local mode uses, in a child process (bundling is synchronous, the builder is not). Without Docker: the
 * image is never used because the local build always succeeds or throws. Stacks excluded from bundling
 * (`aws:cdk:bundling-stacks`, as the infra tests set) skip the build.
 */
function consoleSource(): ISource {
  return Source.asset(CONSOLE_DIR, {
    exclude: ['dist', 'node_modules', '*.tsbuildinfo'],
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20'),
      local: {
        tryBundle(outputDir: string): boolean {
          const builder = pathToFileURL(join(CONSOLE_DIR, 'build.ts')).href;
          const script = `const { buildConsole } = await import(${JSON.stringify(builder)}); await buildConsole(${JSON.stringify(outputDir)});`;
          const result = spawnSync(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', script],
            {
              cwd: REPO_ROOT,
              stdio: ['ignore', 'inherit', 'inherit'],
            },
          );
          if (result.status !== 0) {
            throw new Error(
              `ConsoleSite: building the console failed (${result.error?.message ?? `exit ${result.status}`})`,
            );
          }
          // The deployment writes index.html itself, with the stack's connect-src policy (ConsoleSite.indexPage).
          rmSync(join(outputDir, 'index.html'));
          return true;
        },
      },
    },
  });
}
