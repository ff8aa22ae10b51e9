import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildDigester } from '../functions/digester.js';

export const handler = lambdaHandler('digester', buildDigester);
