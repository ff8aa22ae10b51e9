/**
 * Follows nextToken through every page of a lookup, for downloads: each page is handed on as it arrives (so the
 * caller can write it out and show progress) and the loop stops at the first page after an abort.
 */

export interface Page<T> {
  readonly events: readonly T[];
  readonly nextToken?: string;
}

export async function forEachPage<T>(
  fetchPage: (nextToken: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
  onPage: (events: readonly T[], total: number) => void,
  signal: AbortSignal,
): Promise<number> {
  let total = 0;
  let nextToken: string | undefined;
  do {
    signal.throwIfAborted();
    const page = await fetchPage(nextToken, signal);
    total += page.events.length;
    onPage(page.events, total);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return total;
}
