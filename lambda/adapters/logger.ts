import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of every OpenTrail function; it logs ids and counts, never event payloads. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'opentrail' });
