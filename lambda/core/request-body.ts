import { RequestError } from './errors.js';
import { byteLength } from './event-model.js';
import { LIMITS } from './limits.js';

/**
 * A put request's body as parsed JSON, for both put protocols: refused when it is empty, larger than a request may
 * be, or not JSON. What the JSON must hold is each protocol's own business.
 */
export function parsePutRequestJson(body: string | undefined, whenEmpty: string): unknown {
  if (body === undefined || body.trim() === '') throw new RequestError('InvalidRequestBody', whenEmpty);
  const bytes = byteLength(body);
  if (bytes > LIMITS.requestBytes) {
    throw new RequestError(
      'RequestTooLarge',
      `the request body is ${bytes} bytes; at most ${LIMITS.requestBytes} are allowed`,
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new RequestError('InvalidJson', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}
