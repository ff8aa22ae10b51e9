import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildLookup } from '../functions/lookup.js';

export const handler = lambdaHandler('lookup', buildLookup);
