import { Aws, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesWithAccess, TRAIL_ROUTES } from '../../lambda/core/trail-routes.js';
import { OpenTrailStack } from '../../lib/opentrail-stack.js';
import { Trail } from '../../lib/trail.js';
import {
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

const CONSOLE_OUTPUTS = [
  'ConsoleUrl',
  'ConsoleUserPoolId',
  'ConsoleUserPoolClientId',
  'ConsoleIdentityPoolId',
];

describe('ConsoleSite', () => {
  // Two apps, so both stacks have one name: some logical IDs (Lambda permissions) hash the stack's path.
  const { app, cleanup } = createTestApp();
  const bareApp = createTestApp();
  const withConsole = new OpenTrailStack(app, 'OpenTrail', { env: TEST_ENV });
  const withoutConsole = new OpenTrailStack(bareApp.app, 'OpenTrail', { env: TEST_ENV, console: false });
  const site = withConsole.trail.consoleSite;
  if (site === undefined) throw new Error('the console is on by default');

  let template: Template;
  let resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  let bare: Template;
  beforeAll(() => {
    template = Template.fromStack(withConsole);
    resources = template.toJSON().Resources;
    bare = Template.fromStack(withoutConsole);
  });
  afterAll(() => {
    cleanup();
    bareApp.cleanup();
  });

  const ref = (token: string) => logicalIdOf(withConsole, token);
  const distributionId = () => ref(site.distribution.distributionId);
  const headersConfig = () => {
    const config = propertiesOf(
      template,
      ref(site.responseHeadersPolicy.responseHeadersPolicyId),
    ).ResponseHeadersPolicyConfig;
    if (!isRecord(config) || !isRecord(config.SecurityHeadersConfig)) throw new Error('no security headers');
    return config.SecurityHeadersConfig;
  };

  describe('bucket', () => {
    it('blocks public access, enforces TLS, encrypts and versions the console bucket', () => {
      // Act
      const bucket = propertiesOf(template, ref(site.bucket.bucketName));

      // Assess
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    });

    it('lets only CloudFront, for this distribution, read the bucket when the policy is synthesized', () => {
      // Arrange
      const policies = Object.values(resources).filter(
        (resource) =>
          resource.Type === 'AWS::S3::BucketPolicy' &&
          JSON.stringify(resource.Properties?.Bucket) ===
            JSON.stringify({ Ref: ref(site.bucket.bucketName) }),
      );
      const statements = policies.flatMap((policy) => {
        const document = policy.Properties?.PolicyDocument;
        return isRecord(document) && Array.isArray(document.Statement) ? document.Statement : [];
      });

      // Act
      const allows = statements.filter(isRecord).filter((statement) => statement.Effect === 'Allow');

      // Assess
      expect(allows).toHaveLength(1);
      const [allow] = allows;
      expect(allow?.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
      expect(allow?.Action).toBe('s3:GetObject');
      const condition = isRecord(allow?.Condition) ? allow.Condition.StringEquals : undefined;
      const sourceArn = isRecord(condition) ? renderCfnString(condition['AWS:SourceArn']) : '';
      const partition = renderCfnString(withConsole.resolve(Aws.PARTITION));
      expect(sourceArn).toBe(
        `arn:${partition}:cloudfront::\${AWS::AccountId}:distribution/\${${distributionId()}}`,
      );
      // The rest only deny: plain HTTP and TLS below 1.2 (enforceSSL, minimumTLSVersion).
      expect(statements.filter(isRecord).map((statement) => statement.Effect)).toEqual([
        'Deny',
        'Deny',
        'Allow',
      ]);
    });

    it('deploys the console and its config.json under console/ and invalidates the distribution', () => {
      // Act
      const deployment = Object.values(resources).find(
        (resource) => resource.Type === 'Custom::CDKBucketDeployment',
      );

      // Assess
      expect(deployment?.Properties?.DestinationBucketKeyPrefix).toBe('console/');
      expect(deployment?.Properties?.DistributionPaths).toEqual(['/console/*']);
      // The built console, index.html with the stack's connect-src policy, config.json.
      expect(deployment?.Properties?.SourceObjectKeys).toHaveLength(3);
      expect(JSON.stringify(deployment?.Properties?.SourceMarkers)).toContain(ref(site.userPool.userPoolId));
    });
  });

  describe('distribution', () => {
    it('uses origin access control and HTTPS, on the default certificate, when no domain is given', () => {
      // Act
      const config = propertiesOf(template, distributionId()).DistributionConfig;

      // Assess
      expect(config).toMatchObject({
        DefaultRootObject: 'console/index.html',
        DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https' },
        Origins: [{ OriginAccessControlId: expect.anything(), S3OriginConfig: { OriginAccessIdentity: '' } }],
      });
      // CloudFront's default certificate takes no security policy (it accepts TLSv1): the AwsSolutions-CFR4 reason.
      expect(isRecord(config) ? config.ViewerCertificate : undefined).toBeUndefined();
    });

    it('serves TLSv1.2_2021 and names the custom domain in CORS when a domain and certificate are given', () => {
      // Arrange
      const other = createTestApp();
      const stack = new Stack(other.app, 'Custom', { env: TEST_ENV });
      const certificate = Certificate.fromCertificateArn(
        stack,
        'Certificate',
        'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      );
      const trail = new Trail(stack, 'Trail', {
        console: { domainNames: ['audit.example.com'], certificate, cognitoDomainPrefix: 'example-audit' },
      });

      // Act
      const custom = Template.fromStack(stack);

      // Assess
      custom.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: {
          Aliases: ['audit.example.com'],
          ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
        },
      });
      custom.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: { AllowOrigins: ['https://audit.example.com'] },
      });
      custom.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'example-audit' });
      // With a domain of its own, no cycle: the header names the API exactly.
      const policy = Object.values(custom.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]
        ?.Properties?.ResponseHeadersPolicyConfig?.SecurityHeadersConfig?.ContentSecurityPolicy
        ?.ContentSecurityPolicy;
      const apiId = logicalIdOf(stack, trail.trailApi.httpApi.apiId);
      const domainId = logicalIdOf(stack, trail.consoleSite?.userPoolDomain.domainName ?? '');
      expect(renderCfnString(policy).split('; ')).toContain(
        [
          'connect-src',
          "'self'",
          `https://\${${apiId}}.execute-api.us-east-1.\${AWS::URLSuffix}`,
          `https://\${${domainId}}.auth.us-east-1.amazoncognito.com`,
          `https://cognito-idp.us-east-1.\${AWS::URLSuffix}`,
          `https://cognito-identity.us-east-1.\${AWS::URLSuffix}`,
        ].join(' '),
      );
      expect(trail.consoleSite?.url).toBe('https://audit.example.com/console/');
      expect(unacknowledgedNagFindings(stack).map(({ rule }) => rule)).toEqual([]);
      other.cleanup();
    });

    it('answers the console pages with index.html through a viewer-request function, other paths as they are', () => {
      // Arrange
      const functions = Object.entries(resources).filter(
        ([, resource]) => resource.Type === 'AWS::CloudFront::Function',
      );
      const [functionId, pageFunction] = functions[0] ?? [];
      const code = pageFunction?.Properties?.FunctionCode;
      const config = propertiesOf(template, distributionId()).DistributionConfig;
      // Run the function's own code, as CloudFront would, on viewer requests.
      const handler = new Function(`${String(code)}\nreturn handler;`)() as (event: object) => {
        uri?: string;
        statusCode?: number;
        headers?: Record<string, { value: string }>;
      };
      const answer = (uri: string) => handler({ request: { uri, querystring: {}, headers: {} } });

      // Act
      const pages = ['/console/', '/console/insights', '/console/insights/abc-123', '/console/events/0001-x'];
      const files = [
        '/console/app.js',
        '/console/config.json',
        '/console/events/a/b',
        '/other',
        '/console/insights/',
      ];

      // Assess
      expect(functions).toHaveLength(1);
      expect(pageFunction?.Properties?.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
      expect(pages.map((uri) => answer(uri).uri)).toEqual(pages.map(() => '/console/index.html'));
      expect(files.map((uri) => answer(uri).uri)).toEqual(files);
      expect(answer('/console')).toMatchObject({
        statusCode: 301,
        headers: { location: { value: '/console/' } },
      });
      expect(isRecord(config) ? config.DefaultCacheBehavior : undefined).toMatchObject({
        FunctionAssociations: [
          { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
        ],
      });
      // A missing file is the bucket's 403/404 again, not a page with status 200.
      expect(isRecord(config) ? config.CustomErrorResponses : undefined).toBeUndefined();
    });

    it('sends HSTS, nosniff, DENY framing and no referrer when the headers policy is synthesized', () => {
      // Act
      const headers = headersConfig();

      // Assess
      expect(headers).toMatchObject({
        StrictTransportSecurity: {
          AccessControlMaxAgeSec: 63072000,
          IncludeSubdomains: true,
          Override: true,
        },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      });
    });

    /** The directives of a policy, by name. */
    const directivesOf = (policy: string): Record<string, string[]> =>
      Object.fromEntries(
        policy.split('; ').map((directive) => {
          const [name = '', ...values] = directive.split(' ');
          return [name, values];
        }),
      );
    const cognitoSources = () => [
      `https://\${${ref(site.userPoolDomain.domainName)}}.auth.us-east-1.amazoncognito.com`,
      `https://cognito-idp.us-east-1.\${AWS::URLSuffix}`,
      `https://cognito-identity.us-east-1.\${AWS::URLSuffix}`,
    ];

    it('allows no inline script and connects only to HTTP APIs of the region and Cognito in the header', () => {
      // Arrange
      const csp = headersConfig().ContentSecurityPolicy;
      const policy = renderCfnString(isRecord(csp) ? csp.ContentSecurityPolicy : undefined);

      // Act
      const directives = directivesOf(policy);

      // Assess
      expect(directives['default-src']).toEqual(["'self'"]);
      expect(directives['script-src']).toEqual(["'self'"]);
      expect(directives['style-src']).toEqual(["'self'"]);
      expect(directives['img-src']).toEqual(["'self'", 'data:']);
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
      // The API's own name would make a cycle (its CORS names the distribution): the page's policy narrows it.
      expect(directives['connect-src']).toEqual([
        "'self'",
        `https://*.execute-api.us-east-1.\${AWS::URLSuffix}`,
        ...cognitoSources(),
      ]);
      expect(policy).not.toContain('unsafe-inline');
    });

    it("connects exactly to the API's origin, the Cognito domain and the regional Cognito endpoints in the page", () => {
      // Arrange
      const apiId = ref(withConsole.trail.trailApi.httpApi.apiId);
      const page = renderCfnString(withConsole.resolve(site.indexPage));

      // Act
      const metas = [...page.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
      const scriptAt = page.indexOf('<script');

      // Assess
      expect(metas).toHaveLength(1);
      expect(directivesOf(metas[0]?.[1] ?? '')).toEqual({
        'connect-src': [
          "'self'",
          `https://\${${apiId}}.execute-api.us-east-1.\${AWS::URLSuffix}`,
          ...cognitoSources(),
        ],
      });
      // A meta policy governs what comes after it: it stands before the script.
      expect(metas[0]?.index).toBeLessThan(scriptAt);
      const deployment = Object.values(resources).find(
        (resource) => resource.Type === 'Custom::CDKBucketDeployment',
      );
      expect(JSON.stringify(deployment?.Properties?.SourceMarkers)).toContain(apiId);
    });
  });

  describe('sign-in', () => {
    it('creates users only by admin and requires TOTP MFA when the user pool is synthesized', () => {
      // Act
      const pool = propertiesOf(template, ref(site.userPool.userPoolId));

      // Assess
      expect(pool.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
      expect(pool.MfaConfiguration).toBe('ON');
      expect(pool.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    });

    it('signs the console in with authorization code (no secret) and returns to the console URL', () => {
      // Act
      const client = propertiesOf(template, ref(site.userPoolClient.userPoolClientId));

      // Assess
      expect(client.GenerateSecret).toBe(false);
      expect(client.AllowedOAuthFlows).toEqual(['code']);
      expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
      const callbacks = Array.isArray(client.CallbackURLs) ? client.CallbackURLs.map(renderCfnString) : [];
      expect(callbacks).toEqual([`https://\${${distributionId()}.DomainName}/console/`]);
    });

    it('turns unauthenticated identities off when the identity pool is synthesized', () => {
      // Act
      const pool = propertiesOf(template, ref(site.identityPool.identityPoolId));

      // Assess
      expect(pool.AllowUnauthenticatedIdentities).toBe(false);
    });

    it('lets the signed-in role invoke exactly the lookup routes and nothing else', () => {
      // Arrange
      const apiId = renderCfnString(withConsole.resolve(withConsole.trail.trailApi.httpApi.apiId));
      const partition = renderCfnString(withConsole.resolve(Aws.PARTITION));

      // Act
      const statements = statementsOfRole(
        resources,
        withConsole.resolve(site.identityPool.authenticatedRole.roleName),
      );

      // Assess
      expect(statements.map((statement) => statement.Action)).toEqual(['execute-api:Invoke']);
      const resourceArns = statements.flatMap((statement) =>
        (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(renderCfnString),
      );
      // HttpRoute.grantInvoke ends an ARN at its first path parameter: /events/{eventId} -> /events/*.
      const lookupArns = routesWithAccess('lookup').map(
        (name) =>
          `arn:${partition}:execute-api:us-east-1:123456789012:${apiId}/*/${TRAIL_ROUTES[name].method}` +
          TRAIL_ROUTES[name].path.replace(/\{.*$/, '*'),
      );
      expect(resourceArns.sort()).toEqual(lookupArns.sort());
      expect(resourceArns).toEqual(expect.arrayContaining([expect.stringMatching(/\/GET\/events$/)]));
      const role = propertiesOf(template, ref(site.identityPool.authenticatedRole.roleName));
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
    });
  });

  describe('the API', () => {
    it('admits exactly the console origin in CORS when the console is on', () => {
      // Act
      const api = propertiesOf(template, ref(withConsole.trail.trailApi.httpApi.apiId));
      const cors = isRecord(api.CorsConfiguration) ? api.CorsConfiguration : {};

      // Assess
      expect(Array.isArray(cors.AllowOrigins) ? cors.AllowOrigins.map(renderCfnString) : []).toEqual([
        `https://\${${distributionId()}.DomainName}`,
      ]);
      expect(cors.AllowMethods).toEqual(['GET', 'POST']);
      expect(cors.AllowCredentials).toBeUndefined();
    });

    it('has no CORS when the console is off', () => {
      // Act
      const api = propertiesOf(
        bare,
        logicalIdOf(withoutConsole, withoutConsole.trail.trailApi.httpApi.apiId),
      );

      // Assess
      expect(api.CorsConfiguration).toBeUndefined();
    });
  });

  describe('console: false', () => {
    it('removes the console and keeps every other logical ID and resource of the stack', () => {
      // Arrange
      const bareResources: Record<string, unknown> = bare.toJSON().Resources;
      const consoleIds = Object.keys(resources).filter((id) => !(id in bareResources));

      // Act
      const kept = Object.fromEntries(Object.keys(bareResources).map((id) => [id, resources[id]]));

      // Assess
      expect(Object.keys(bareResources).filter((id) => !(id in resources))).toEqual([]);
      expect(consoleIds.map((id) => resources[id]?.Type).sort()).toEqual(
        expect.arrayContaining([
          'AWS::CloudFront::Distribution',
          'AWS::CloudFront::OriginAccessControl',
          'AWS::CloudFront::ResponseHeadersPolicy',
          'AWS::Cognito::IdentityPool',
          'AWS::Cognito::UserPool',
          'AWS::Cognito::UserPoolClient',
          'AWS::Cognito::UserPoolDomain',
          'AWS::S3::Bucket',
          'Custom::CDKBucketDeployment',
        ]),
      );
      // Only the API differs, by its CORS configuration.
      const changed = Object.keys(bareResources).filter(
        (id) => JSON.stringify(kept[id]) !== JSON.stringify(bareResources[id]),
      );
      expect(changed, JSON.stringify(changed.map((id) => [kept[id], bareResources[id]]))).toEqual([
        ref(withConsole.trail.trailApi.httpApi.apiId),
      ]);
      expect(Object.keys(bare.toJSON().Outputs)).not.toEqual(
        expect.arrayContaining(CONSOLE_OUTPUTS.slice(0, 1)),
      );
    });
  });

  it('outputs the console URL, user pool, client and identity pool', () => {
    // Act
    const outputs = Object.keys(template.toJSON().Outputs);

    // Assess
    expect(outputs).toEqual(expect.arrayContaining(CONSOLE_OUTPUTS));
    expect(renderCfnString(template.toJSON().Outputs.ConsoleUrl.Value)).toBe(
      `https://\${${distributionId()}.DomainName}/console/`,
    );
  });

  it('rejects a custom domain without a certificate, listing the problem', () => {
    // Arrange
    const other = createTestApp();
    const stack = new Stack(other.app, 'Bad', { env: TEST_ENV });

    // Act
    const build = () => new Trail(stack, 'Trail', { console: { domainNames: ['audit.example.com'] } });

    // Assess
    expect(build).toThrow(/console\.domainNames and certificate go together/);
    other.cleanup();
  });

  it('raises no unacknowledged cdk-nag finding when the console is on', () => {
    // Act
    const findings = unacknowledgedNagFindings(withConsole);

    // Assess
    expect(findings).toEqual([]);
  });
});
