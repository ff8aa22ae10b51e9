/**
 * The trail API's routes and which side may call each: producers put, readers look up, and neither reaches the
 * other's routes. The CDK construct grants `execute-api:Invoke` from this table (lib/constructs/trail-api.ts) and
 * local mode enforces the same split (local/route-access.ts). A put route runs on the ingest function, a lookup
 * route on the lookup function.
 */

export type RouteAccess = 'put' | 'lookup';

export interface TrailRoute {
  readonly method: 'GET' | 'POST';
  /** As API Gateway writes it: `{name}` is a path variable. */
  readonly path: string;
  readonly access: RouteAccess;
}

export const TRAIL_ROUTES = {
  PutEvents: { method: 'POST', path: '/events', access: 'put' },
  ListEvents: { method: 'GET', path: '/events', access: 'lookup' },
  GetEvent: { method: 'GET', path: '/events/{eventId}', access: 'lookup' },
  // CloudTrail Data's PutAuditEvents and CloudTrail's LookupEvents (docs/cloudtrail-compat.md).
  PutAuditEvents: { method: 'POST', path: '/PutAuditEvents', access: 'put' },
  LookupEvents: { method: 'POST', path: '/', access: 'lookup' },
  // What the console reads besides lookups (docs/insights.md, docs/console.md).
  GetInsightSeries: { method: 'GET', path: '/insights/{sharedEventID}/series', access: 'lookup' },
  GetValueSuggestions: { method: 'GET', path: '/values/{attribute}', access: 'lookup' },
} as const satisfies Record<string, TrailRoute>;

export type TrailRouteName = keyof typeof TRAIL_ROUTES;

/** Route names in declaration order. */
export const TRAIL_ROUTE_NAMES = Object.keys(TRAIL_ROUTES) as readonly TrailRouteName[];

/** The route key API Gateway puts in `routeKey`, e.g. `GET /events/{eventId}`. */
export const routeKey = (route: TrailRoute): string => `${route.method} ${route.path}`;

/** The names of the routes one side may call. */
export const routesWithAccess = (access: RouteAccess): TrailRouteName[] =>
  TRAIL_ROUTE_NAMES.filter((name) => TRAIL_ROUTES[name].access === access);
