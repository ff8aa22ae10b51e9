import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildInsights } from '../functions/insights.js';

export const handler = lambdaHandler('insights', buildInsights);
