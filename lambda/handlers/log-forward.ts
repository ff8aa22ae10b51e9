import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildLogForward } from '../functions/log-forward.js';

export const handler = lambdaHandler('logForward', buildLogForward);
