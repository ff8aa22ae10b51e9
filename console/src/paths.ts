/**
 * The console's pages (nav.ts routes them in the browser): the servers answer index.html for each, local mode's
 * front (local/http-front.ts) and, in AWS, CloudFront's viewer-request function (lib/constructs/console-site.ts).
 * No DOM here: both import it.
 */
export const CONSOLE_PAGE = /^\/console\/(?:|insights|insights\/[^/]+|events\/[^/]+)$/;
