import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildInsightsCounter } from '../functions/insights-counter.js';

export const handler = lambdaHandler('insightsCounter', buildInsightsCounter);
