/**
 * Request-level errors: each carries the HTTP status and the stable code a client sees in `{ code, message }`.
 * Per-event problems are not errors; they are reported in the response's `failed` list.
 */
export class RequestError extends Error {
  override readonly name: string = 'RequestError';
  constructor(
    readonly statusCode: 400 | 403 | 404 | 413 | 429 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string): RequestError =>
  new RequestError(400, code, message);
