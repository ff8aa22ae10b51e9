import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { OpenTrailStack } from '../lib/opentrail-stack.js';
import { trailPropsFromContext } from '../lib/trail-config.js';

const app = new App();

// Every setting with a scalar form comes from context: `cdk deploy -c retentionDays=30 -c alarmEmail=ops@example.com`
// (docs/configuration.md). Bad values stop synthesis with one error listing them all.
new OpenTrailStack(app, 'OpenTrail', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' },
  ...trailPropsFromContext(app.node),
});
// cdk-nag 3 runs as a policy validation plugin: any unacknowledged finding stops synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
