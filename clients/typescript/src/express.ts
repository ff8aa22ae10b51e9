import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { type CaptureOptions, recordRequest } from './capture.js';

export type { CaptureOptions, Resource, UserIdentity } from './capture.js';

export interface OpenTrailExpress extends RequestHandler {
  /**
   * Error middleware that notes what a handler threw (its code or name, its message) and passes it on unchanged.
   * Mount it after your routes and before your own error handler.
   */
  readonly errors: ErrorRequestHandler;
}

/**
 * Records one event per request when the response is finished (or the connection closed), without delaying it.
 * sourceIPAddress is `req.ip`, so Express's `trust proxy` setting decides whether X-Forwarded-For counts.
 */
export function openTrailExpress(options: CaptureOptions<Request>): OpenTrailExpress {
  const thrown = new WeakMap<Request, unknown>();
  const middleware: RequestHandler = (req, res, next) => {
    const startedAt = new Date();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      // req.route is the matched route's; mounted routers add their prefix in baseUrl (unset after an error).
      const template =
        typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
      recordRequest(options, req, {
        method: req.method,
        route: template ?? req.path,
        path: req.originalUrl.split('?')[0] ?? req.originalUrl,
        startedAt,
        status: res.statusCode,
        sourceIPAddress: req.ip,
        userAgent: req.get('user-agent'),
        requestID: req.get('x-request-id') ?? req.get('x-amzn-trace-id'),
        params: req.params,
        query: req.query,
        body: req.body,
        error: thrown.get(req),
      });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
  const errors: ErrorRequestHandler = (error, req, _res, next) => {
    thrown.set(req, error);
    next(error);
  };
  return Object.assign(middleware, { errors });
}
