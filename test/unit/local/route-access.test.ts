import { describe, expect, it } from 'vitest';
import { routeKey, TRAIL_ROUTE_NAMES, TRAIL_ROUTES } from '../../../lambda/core/trail-routes.js';
import { createRouteAuthorizer } from '../../../local/route-access.js';
import type { CallerIdentity } from '../../../local/sigv4-verifier.js';

const caller = (accessKeyId: string): CallerIdentity => ({
  accessKeyId,
  accountId: '000000000000',
  userArn: `arn:aws:iam::000000000000:user/${accessKeyId}`,
  userId: `LOCAL${accessKeyId.toUpperCase()}`,
});

const authorize = createRouteAuthorizer([
  { accessKeyId: 'all', secretAccessKey: 's', access: ['put', 'lookup'] },
  { accessKeyId: 'producer', secretAccessKey: 's', access: ['put'] },
  { accessKeyId: 'reader', secretAccessKey: 's', access: ['lookup'] },
]);

/** Route keys each caller may call. */
const allowedRoutes = (accessKeyId: string) =>
  TRAIL_ROUTE_NAMES.map((name) => routeKey(TRAIL_ROUTES[name])).filter((key) =>
    authorize(caller(accessKeyId), key),
  );

describe('local route access', () => {
  it('gives the producer exactly the put routes, the reader the lookup routes and the full pair every route', () => {
    // Act
    const producer = allowedRoutes('producer');
    const reader = allowedRoutes('reader');
    const all = allowedRoutes('all');

    // Assess
    expect(producer).toEqual(['POST /events', 'POST /PutAuditEvents']);
    expect(reader).toEqual([
      'GET /events',
      'GET /events/{eventId}',
      'POST /',
      'GET /insights/{sharedEventID}/series',
      'GET /values/{attribute}',
    ]);
    expect(all).toEqual([
      'POST /events',
      'GET /events',
      'GET /events/{eventId}',
      'POST /PutAuditEvents',
      'POST /',
      'GET /insights/{sharedEventID}/series',
      'GET /values/{attribute}',
    ]);
  });

  it('denies a key it does not know and a route outside the trail API, as IAM does without an Allow', () => {
    // Act
    const unknownKey = authorize(caller('stranger'), 'POST /events');
    const unknownRoute = authorize(caller('all'), 'DELETE /events/{eventId}');

    // Assess
    expect(unknownKey).toBe(false);
    expect(unknownRoute).toBe(false);
  });

  it('denies a principal that holds no side', () => {
    // Prepare
    const noAccess = createRouteAuthorizer([{ accessKeyId: 'none', secretAccessKey: 's', access: [] }]);

    // Act
    const results = TRAIL_ROUTE_NAMES.map((name) => noAccess(caller('none'), routeKey(TRAIL_ROUTES[name])));

    // Assess
    expect(results).toEqual(TRAIL_ROUTE_NAMES.map(() => false));
  });
});
