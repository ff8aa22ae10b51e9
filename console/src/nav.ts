/** The console's pages under /console/, routed in the browser with the History API. */

export type Route =
  | { readonly page: 'history'; readonly search: string }
  | { readonly page: 'event'; readonly eventId: string }
  | { readonly page: 'insights' }
  | { readonly page: 'insight'; readonly sharedEventID: string };

export const BASE = '/console/';

/** A path segment's value; a malformed escape (`%E0`) names no page rather than breaking the console. */
const decoded = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

export function routeOf(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  if (rest === 'insights') {
    // The query form is the address insights had before the path form; links shared then still open.
    const sharedEventID = new URLSearchParams(search).get('insight');
    return sharedEventID === null ? { page: 'insights' } : { page: 'insight', sharedEventID };
  }
  const page = /^(events|insights)\/([^/]+)$/.exec(rest);
  const id = page?.[2] === undefined ? undefined : decoded(page[2]);
  if (id !== undefined && page?.[1] === 'events') return { page: 'event', eventId: id };
  if (id !== undefined) return { page: 'insight', sharedEventID: id };
  return { page: 'history', search };
}

export const eventHref = (eventId: string): string => `${BASE}events/${encodeURIComponent(eventId)}`;
/** An insight's page; local mode's front and CloudFront answer index.html for it, so it opens directly too. */
export const insightHref = (sharedEventID: string): string =>
  `${BASE}insights/${encodeURIComponent(sharedEventID)}`;

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
