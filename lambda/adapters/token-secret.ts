import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TRAIL_ENV } from '../core/environment.js';

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
  const secret = env[TRAIL_ENV.tokenSecret];
  if (secret) return secret;
  const secretArn = env[TRAIL_ENV.tokenSecretArn];
  if (!secretArn) throw new Error(`set ${TRAIL_ENV.tokenSecret} or ${TRAIL_ENV.tokenSecretArn}`);
  const output = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!output.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return output.SecretString;
}
