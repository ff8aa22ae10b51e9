import { beforeAll, inject } from 'vitest';

/**
 * Setup file of the integration project: points the AWS SDK at the shared moto server and empties it
 * before each test file, so files never see each other's tables.
 */
const motoEndpoint = inject('motoEndpoint');

process.env.AWS_ENDPOINT_URL = motoEndpoint;
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

beforeAll(async () => {
  const response = await fetch(`${motoEndpoint}/moto-api/reset`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`Resetting moto at ${motoEndpoint} failed with HTTP ${response.status}`);
});
