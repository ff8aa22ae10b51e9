/**
 * Every error the client throws or rejects with is an OpenTrailError with a stable `code`: a per-event refusal
 * carries the trail's own errorCode, the client's own refusals (queue full, closed, too large) their names.
 */
export class OpenTrailError extends Error {
  override readonly name: string = 'OpenTrailError';
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status of the answer that carried the error, when there was one. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The trail refused this event (POST /events `failed[]`): `errorCode` and `errorMessage` are the trail's. */
export class EventRejectedError extends OpenTrailError {
  override readonly name = 'EventRejectedError';
  constructor(
    readonly errorCode: string,
    readonly errorMessage: string,
    /** The producer id the event was sent with. */
    readonly id: string,
    status?: number,
  ) {
    super(errorCode, `${errorCode}: ${errorMessage}`, status);
  }
}

/**
 * The queue holds `maxQueuedEvents` events or `maxQueuedBytes` bytes already: the event is refused at once
 * rather than blocking the caller or growing memory without bound.
 */
export class QueueFullError extends OpenTrailError {
  override readonly name = 'QueueFullError';
  constructor(message: string) {
    super('QueueFull', message);
  }
}

/** put() after close(). */
export class ClientClosedError extends OpenTrailError {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('ClientClosed', 'the client is closed; create a new one to put more events');
  }
}
