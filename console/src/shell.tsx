import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { EventDetail } from './detail.js';
import { History } from './history.js';
import { InsightPage } from './insight.js';
import { Insights } from './insights.js';
import { BASE, onNavigate, type Route, routeOf } from './nav.js';
import { Link } from './ui.js';

/** What every console has, however it signs: the header, and the page the URL names. */

export function Header({ pages, children }: { pages: boolean; children?: ComponentChildren }) {
  return (
    <header class="top">
      <a class="brand" href={BASE}>
        OpenTrail
      </a>
      <nav aria-label="Pages">
        {pages && (
          <>
            <Link href={BASE}>Event history</Link>
            <Link href={`${BASE}insights`}>Insights</Link>
          </>
        )}
      </nav>
      {children}
    </header>
  );
}

export function Pages({ api, apiUrl, region }: { api: Api; apiUrl: string; region: string }) {
  const [route, setRoute] = useState<Route>(() => routeOf(location.pathname, location.search));
  useEffect(() => onNavigate(() => setRoute(routeOf(location.pathname, location.search))), []);
  if (route.page === 'history') {
    return <History api={api} search={route.search} apiUrl={apiUrl} region={region} />;
  }
  if (route.page === 'event') {
    return <EventDetail api={api} eventId={route.eventId} insight={false} apiUrl={apiUrl} region={region} />;
  }
  if (route.page === 'insight') return <InsightPage api={api} sharedEventID={route.sharedEventID} />;
  return <Insights api={api} />;
}
