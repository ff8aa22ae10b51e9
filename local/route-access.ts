import { type RouteAccess, routeKey, TRAIL_ROUTE_NAMES, TRAIL_ROUTES } from '../lambda/core/trail-routes.js';
import type { CallerIdentity, LocalCredential } from './sigv4-verifier.js';

/**
 * Local mode's stand-in for the `execute-api:Invoke` grants of lib/constructs/trail-api.ts: each local principal
 * may call the routes of the sides it holds (lambda/core/trail-routes.ts), as `grantPut` and `grantLookup` allow.
 */

/** A credential pair and the sides of the API it may call. */
export interface LocalPrincipal extends LocalCredential {
  readonly access: readonly RouteAccess[];
}

/** Whether a verified caller may call the route (its route key, e.g. `GET /events/{eventId}`). */
export type RouteAuthorizer = (caller: CallerIdentity, routeKey: string) => boolean;

const ACCESS_BY_ROUTE_KEY: ReadonlyMap<string, RouteAccess> = new Map(
  TRAIL_ROUTE_NAMES.map((name) => [routeKey(TRAIL_ROUTES[name]), TRAIL_ROUTES[name].access]),
);

export const createRouteAuthorizer = (principals: readonly LocalPrincipal[]): RouteAuthorizer => {
  const accessByKey = new Map(
    principals.map((principal) => [principal.accessKeyId, new Set(principal.access)]),
  );
  return (caller, key) => {
    const access = ACCESS_BY_ROUTE_KEY.get(key);
    // Like IAM without an Allow: a route outside the table, or an unknown key, is denied.
    return access !== undefined && (accessByKey.get(caller.accessKeyId)?.has(access) ?? false);
  };
};
