import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildIngest } from '../functions/ingest.js';

export const handler = lambdaHandler('ingest', buildIngest);
