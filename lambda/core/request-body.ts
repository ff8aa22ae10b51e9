import { RequestError } from './errors.js';
import { byteLength } from './event-model.js';
import { LIMITS } from './limits.js';

/**
 * A put request's body as parsed JSON, for both put protocols: refused when it is empty, larger than a request may
 * be, or not JSON. What the JSON must hold is each protocol's own business.
 */
export function parsePutRequestJson(body: string | undefined, whenEmpty: string): unknown {
  if (body === undefined || body.trim() === '') throw new RequestError('InvalidRequestBody', whenEmpty);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a body of up to a third of the limit in characters needs no counting.
  if (body.length * 3 > LIMITS.requestBytes) {
    const bytes = byteLength(body);
    if (bytes > LIMITS.requestBytes) {
      throw new RequestError(
        'RequestTooLarge',
        `the request body is ${bytes} bytes; at most ${LIMITS.requestBytes} are allowed`,
      );
    }
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new RequestError('InvalidJson', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}
