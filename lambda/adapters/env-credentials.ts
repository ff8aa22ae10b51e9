import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the deployed bundles (lib/defaults/lambda.ts aliases it):
 * Lambda hands a function its role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), so the chain's other providers (SSO, shared files, web identity, container and instance
 * metadata) and the STS and SSO clients they bring are never used; they were a quarter of each bundle
 * (bench -- bundles). The SDK's clients call it as they call the chain: `defaultProvider(init)`.
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
