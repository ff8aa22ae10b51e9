/** The console's pages under /console/, routed in the browser with the History API. */

export type Route =
  | { readonly page: 'history'; readonly search: string }
  | { readonly page: 'event'; readonly eventId: string }
  | { readonly page: 'insights' }
  | { readonly page: 'insight'; readonly sharedEventID: string };

export const BASE = '/console/';

export function routeOf(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  if (rest === 'insights') {
    const sharedEventID = new URLSearchParams(search).get('insight');
    return sharedEventID === null ? { page: 'insights' } : { page: 'insight', sharedEventID };
  }
  const event = /^events\/([^/]+)$/.exec(rest);
  if (event?.[1] !== undefined) return { page: 'event', eventId: decodeURIComponent(event[1]) };
  return { page: 'history', search };
}

export const eventHref = (eventId: string): string => `${BASE}events/${encodeURIComponent(eventId)}`;
/**
 * An insight's page. A query rather than a path segment: local mode's front answers index.html for the console's
 * fixed pages only (local/http-front.ts CONSOLE_PAGE), so this link also works when opened directly.
 */
export const insightHref = (sharedEventID: string): string =>
  `${BASE}insights?${new URLSearchParams({ insight: sharedEventID }).toString()}`;

type Listener = () => void;
const listeners = new Set<Listener>();

export const onNavigate = (listener: Listener): (() => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/** A new history entry (replace: the same entry, for changes not worth a Back press). */
export function navigate(href: string, replace = false): void {
  if (href === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const listener of listeners) listener();
}

/** For a link's onClick: a plain click navigates in place; a modified click opens the browser's way. */
export function followLink(event: MouseEvent, href: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(href);
}
