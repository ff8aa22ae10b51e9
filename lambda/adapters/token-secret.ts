import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The pagination-token signing secret: given directly (local mode, tests) or read once from Secrets Manager
 * (AWS), on first use so a cold start that serves no paged lookup never pays for it.
 */
export function tokenSecretLoader(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= readSecret(env).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

async function readSecret(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.OPENTRAIL_TOKEN_SECRET) return env.OPENTRAIL_TOKEN_SECRET;
  const secretArn = env.OPENTRAIL_TOKEN_SECRET_ARN;
  if (!secretArn) throw new Error('set OPENTRAIL_TOKEN_SECRET or OPENTRAIL_TOKEN_SECRET_ARN');
  const output = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!output.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return output.SecretString;
}
