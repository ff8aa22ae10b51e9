import type { Api } from './api.js';
import { CSV_HEADER, csvRecord } from './csv.js';
import { forEachPage } from './pages.js';
import type { ConsoleRecord } from './record.js';

/** Downloads of a whole lookup, page after page of 1,000, built as a Blob of parts and saved through a link. */

export type DownloadFormat = 'json' | 'csv';

const PAGE_SIZE = 1000;

const FORMATS: Record<
  DownloadFormat,
  {
    readonly type: string;
    readonly head: string;
    readonly tail: string;
    readonly item: (record: ConsoleRecord, index: number) => string;
  }
> = {
  // A JSON array of the records as the lookup returns them, one per line.
  json: {
    type: 'application/json',
    head: '[\n',
    tail: '\n]\n',
    item: (record, index) => `${index === 0 ? '' : ',\n'}${JSON.stringify(record)}`,
  },
  csv: { type: 'text/csv', head: CSV_HEADER, tail: '', item: (record) => csvRecord(record) },
};

export async function download(
  api: Api,
  parameters: URLSearchParams,
  format: DownloadFormat,
  onProgress: (count: number) => void,
  signal: AbortSignal,
): Promise<number> {
  const { type, head, tail, item } = FORMATS[format];
  const parts: string[] = [head];
  const total = await forEachPage(
    (nextToken, pageSignal) => {
      const page = new URLSearchParams(parameters);
      page.set('maxResults', String(PAGE_SIZE));
      if (nextToken !== undefined) page.set('nextToken', nextToken);
      return api.lookup(page, pageSignal);
    },
    (events, count) => {
      let index = count - events.length;
      for (const record of events) parts.push(item(record, index++));
      onProgress(count);
    },
    signal,
  );
  parts.push(tail);
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `opentrail-events-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
  link.click();
  // The click has started the download; the URL can go once the browser has read it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return total;
}
