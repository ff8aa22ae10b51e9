import {
  type ErrorProtocol,
  type HttpHandler,
  type HttpHandlerOptions,
  httpHandler,
  type Route,
} from '../adapters/http.js';
import { RequestError } from '../core/errors.js';
import { type RouteAccess, routeKey, TRAIL_ROUTES, type TrailRouteName } from '../core/trail-routes.js';
import { NATIVE_PROTOCOL } from './protocols.js';

/** A route's work and the protocol that answers its errors. */
export interface RouteImplementation {
  readonly route: Route;
  readonly protocol: ErrorProtocol;
}

/** Every route one side may call (TRAIL_ROUTES' access), each with its implementation: none can be left out. */
export type RouteTable<Access extends RouteAccess> = {
  readonly [Name in TrailRouteName as (typeof TRAIL_ROUTES)[Name]['access'] extends Access
    ? Name
    : never]: RouteImplementation;
};

/** One function's HTTP entry: the event's route key picks the route from the table. */
export function createRouter<Access extends RouteAccess>(
  table: RouteTable<Access>,
  options: Omit<HttpHandlerOptions, 'protocol'>,
): HttpHandler {
  const entries = Object.entries(table) as Array<[TrailRouteName, RouteImplementation]>;
  const handlers = new Map<string, HttpHandler>(
    entries.map(([name, { route, protocol }]) => [
      routeKey(TRAIL_ROUTES[name]),
      httpHandler(route, { ...options, protocol }),
    ]),
  );
  const unknownRoute = httpHandler(
    async (event) => {
      throw new RequestError('UnknownOperation', `No route for ${event.routeKey}`);
    },
    { ...options, protocol: NATIVE_PROTOCOL },
  );
  return (event, context) => (handlers.get(event.routeKey) ?? unknownRoute)(event, context);
}
