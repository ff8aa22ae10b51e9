import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { type CaptureOptions, recordRequest } from './capture.js';

export type { CaptureOptions, Resource, UserIdentity } from './capture.js';

/**
 * A Fastify plugin recording one event per request once the response is sent (onResponse), without delaying it.
 * sourceIPAddress is `request.ip`, so Fastify's `trustProxy` option decides whether X-Forwarded-For counts.
 * fastify-plugin lifts the hooks out of the plugin's own scope, so they see every route of the app.
 */
const plugin: FastifyPluginCallback<CaptureOptions<FastifyRequest>> = (app, options, done) => {
  const started = new WeakMap<FastifyRequest, Date>();
  const thrown = new WeakMap<FastifyRequest, unknown>();
  app.addHook('onRequest', (request, _reply, next) => {
    started.set(request, new Date());
    next();
  });
  app.addHook('onError', (request, _reply, error, next) => {
    thrown.set(request, error);
    next();
  });
  app.addHook('onResponse', (request, reply, next) => {
    recordRequest(options, request, {
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0] ?? request.url,
      path: request.url.split('?')[0] ?? request.url,
      startedAt: started.get(request) ?? new Date(),
      status: reply.statusCode,
      sourceIPAddress: request.ip,
      userAgent: request.headers['user-agent'],
      requestID: request.id,
      params: request.params as Record<string, unknown> | undefined,
      query: request.query as Record<string, unknown> | undefined,
      body: request.body,
      error: thrown.get(request),
    });
    next();
  });
  done();
};

export const openTrailFastify = fastifyPlugin(plugin, { name: '@opentrail/client', fastify: '5.x' });
