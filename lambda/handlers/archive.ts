import { lambdaHandler } from '../adapters/lambda-entry.js';
import { buildArchive } from '../functions/archive.js';

export const handler = lambdaHandler('archive', buildArchive);
