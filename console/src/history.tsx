import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { describeError } from './api.js';
import { EventDetail } from './detail.js';
import { type DownloadFormat, download } from './download.js';
import { type Bucket, histogram } from './histogram.js';
import { BASE, eventHref, navigate } from './nav.js';
import {
  type AttributeKey,
  boundsOf,
  type ConsoleQuery,
  formatQuery,
  LOOKUP_ATTRIBUTES,
  lookupParameters,
  parseQuery,
  withAttribute,
} from './query.js';
import { COLUMNS, type ConsoleRecord, readColumnChoice } from './record.js';
import { PLOT_INSET } from './series.js';
import { snippets } from './snippets.js';
import { type Bounds, DEFAULT_PRESET, formatInstant, PRESETS, parseInstant } from './time.js';
import { CopyButton, ErrorBanner, FilterValue, formatTime } from './ui.js';

/** Event history: filters, time range, histogram, the table, Load more, live tail and downloads. */

const PAGE_SIZE = 50;
const TAIL_INTERVAL_MS = 3000;
const COLUMNS_KEY = 'opentrail.columns';

interface View {
  readonly records: readonly ConsoleRecord[];
  readonly nextToken?: string;
  readonly bounds: Bounds;
}

const showQuery = (query: ConsoleQuery): void => navigate(`${BASE}${formatQuery(query)}`);

export function History({
  api,
  search,
  apiUrl,
  region,
}: {
  api: Api;
  search: string;
  apiUrl: string;
  region: string;
}) {
  const { query, problems } = useMemo(() => parseQuery(search), [search]);
  const [view, setView] = useState<View | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<ConsoleRecord | undefined>();
  const [columns, setColumns] = useState(() => readColumnChoice(localStorage.getItem(COLUMNS_KEY)));
  const open = selected !== undefined;
  const [pane, setPane] = useState<HTMLElement | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  // Focus follows the pane: into it when it opens (on a narrow window it covers the list), back to the link that
  // opened it when it closes.
  useEffect(() => {
    if (pane === null) {
      opener.current?.focus({ preventScroll: true });
      opener.current = null;
      return;
    }
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    pane.focus({ preventScroll: true });
  }, [pane]);
  // Escape closes the pane.
  useEffect(() => {
    if (!open) return;
    const close = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setSelected(undefined);
    };
    document.addEventListener('keydown', close);
    return () => document.removeEventListener('keydown', close);
  }, [open]);

  useEffect(() => {
    const controller = new AbortController();
    const bounds = boundsOf(query, Date.now());
    setLoading(true);
    setError(undefined);
    setSelected(undefined);
    api
      .lookup(lookupParameters(query, bounds, PAGE_SIZE), controller.signal)
      .then((page) =>
        setView({ records: page.events, ...(page.nextToken ? { nextToken: page.nextToken } : {}), bounds }),
      )
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) {
          setView(undefined);
          setError(failure);
        }
      })
      .finally(() => setLoading(false));
    return () => controller.abort();
  }, [api, query]);

  const loadMore = async () => {
    if (view?.nextToken === undefined) return;
    setLoading(true);
    try {
      const parameters = lookupParameters(query, view.bounds, PAGE_SIZE);
      parameters.set('nextToken', view.nextToken);
      const page = await api.lookup(parameters);
      setView({
        records: [...view.records, ...page.events],
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        bounds: view.bounds,
      });
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };

  const addFilter = (attribute: AttributeKey, value: string) =>
    showQuery(withAttribute(query, attribute, value));
  const chooseColumns = (ids: readonly string[]) => {
    setColumns(ids);
    localStorage.setItem(COLUMNS_KEY, JSON.stringify(ids));
  };
  const shown = COLUMNS.filter((column) => columns.includes(column.id));

  return (
    <div class="history">
      <h1>Event history</h1>
      <Filters api={api} query={query} />
      {problems.map((problem) => (
        <p class="banner warning" role="status" key={problem}>
          {problem}
        </p>
      ))}
      {error !== undefined && <ErrorBanner error={error} />}
      {view !== undefined && (
        <>
          <Histogram records={view.records} bounds={view.bounds} complete={view.nextToken === undefined} />
          <Toolbar
            api={api}
            query={query}
            view={view}
            onTail={(records, bounds) =>
              setView((current) =>
                current === undefined
                  ? current
                  : { ...current, records: [...records, ...current.records], bounds },
              )
            }
            columns={columns}
            onColumns={chooseColumns}
            apiUrl={apiUrl}
            region={region}
          />
          <div class={selected === undefined ? 'results' : 'results with-pane'}>
            <EventTable
              records={view.records}
              columns={shown}
              onFilter={addFilter}
              onSelect={setSelected}
              selected={selected?.eventID}
            />
            {selected !== undefined && (
              <aside class="pane" aria-label="Event detail" tabIndex={-1} ref={setPane}>
                <button type="button" class="small close" onClick={() => setSelected(undefined)}>
                  Close
                </button>
                <EventDetail
                  api={api}
                  eventId={selected.eventID}
                  insight={selected.eventCategory === 'Insight'}
                  apiUrl={apiUrl}
                  region={region}
                  inPane
                />
              </aside>
            )}
          </div>
          <p class="paging" aria-live="polite">
            {view.records.length === 0
              ? ''
              : `${view.records.length} event${view.records.length === 1 ? '' : 's'} shown${view.nextToken === undefined ? ', all that match' : ''}.`}{' '}
            {view.nextToken !== undefined && (
              <button type="button" onClick={loadMore} disabled={loading}>
                Load more
              </button>
            )}
          </p>
        </>
      )}
      {loading && view === undefined && <p role="status">Loading events…</p>}
    </div>
  );
}

/** The filter form: one row per attribute, the insight category, the time range; Apply writes the URL. */
function Filters({ api, query }: { api: Api; query: ConsoleQuery }) {
  type Row = { readonly id: number; readonly key: AttributeKey; readonly value: string };
  const nextId = useRef(0);
  const rowsOf = (from: ConsoleQuery): Row[] =>
    LOOKUP_ATTRIBUTES.flatMap(({ key }) => {
      const value = from.attributes[key];
      return value === undefined ? [] : [{ id: nextId.current++, key, value }];
    });
  const [rows, setRows] = useState<Row[]>(() => rowsOf(query));
  const [insight, setInsight] = useState(query.insight);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [rangeError, setRangeError] = useState<string | undefined>();
  useEffect(() => {
    setRows(rowsOf(query));
    setInsight(query.insight);
    setStart(
      query.range.kind === 'absolute' && query.range.startMs !== undefined
        ? formatInstant(query.range.startMs)
        : '',
    );
    setEnd(
      query.range.kind === 'absolute' && query.range.endMs !== undefined
        ? formatInstant(query.range.endMs)
        : '',
    );
    setRangeError(undefined);
  }, [query]);

  const unused = LOOKUP_ATTRIBUTES.find(({ key }) => !rows.some((row) => row.key === key))?.key;
  const attributesOf = (): ConsoleQuery['attributes'] =>
    Object.fromEntries(
      rows.filter((row) => row.value.trim() !== '').map((row) => [row.key, row.value.trim()]),
    );
  const apply = (event: Event) => {
    event.preventDefault();
    const startMs = start.trim() === '' ? undefined : parseInstant(start.trim());
    const endMs = end.trim() === '' ? undefined : parseInstant(end.trim());
    if (startMs === undefined && start.trim() !== '')
      return setRangeError('Start must be an ISO time like 2026-01-31T12:00:00Z');
    if (endMs === undefined && end.trim() !== '')
      return setRangeError('End must be an ISO time like 2026-01-31T12:00:00Z');
    if (startMs !== undefined && endMs !== undefined && startMs > endMs)
      return setRangeError('Start must not be after end');
    const range: ConsoleQuery['range'] =
      startMs === undefined && endMs === undefined
        ? query.range.kind === 'relative'
          ? query.range
          : { kind: 'relative', preset: DEFAULT_PRESET }
        : {
            kind: 'absolute',
            ...(startMs === undefined ? {} : { startMs }),
            ...(endMs === undefined ? {} : { endMs }),
          };
    showQuery({ attributes: attributesOf(), insight, range });
  };
  const preset = query.range.kind === 'relative' ? query.range.preset : undefined;

  return (
    <form class="filters" onSubmit={apply} aria-label="Filters">
      <fieldset>
        <legend>Lookup attributes (all must match)</legend>
        {rows.length === 0 && <p class="hint">No filter: every event in the time range.</p>}
        {rows.map((row) => (
          <div class="filter-row" key={row.id}>
            <select
              aria-label="Lookup attribute"
              value={row.key}
              onChange={(event) =>
                setRows(
                  rows.map((other) =>
                    other.id === row.id
                      ? { ...other, key: event.currentTarget.value as AttributeKey }
                      : other,
                  ),
                )
              }
            >
              {LOOKUP_ATTRIBUTES.map(({ key, label }) => (
                <option
                  key={key}
                  value={key}
                  disabled={key !== row.key && rows.some((other) => other.key === key)}
                >
                  {label}
                </option>
              ))}
            </select>
            <input
              aria-label="Value"
              type="text"
              list={isSuggested(row.key) ? `suggestions-${row.id}` : undefined}
              value={row.value}
              onInput={(event) =>
                setRows(
                  rows.map((other) =>
                    other.id === row.id ? { ...other, value: event.currentTarget.value } : other,
                  ),
                )
              }
            />
            {isSuggested(row.key) && (
              <Suggestions api={api} id={`suggestions-${row.id}`} attribute={row.key} prefix={row.value} />
            )}
            <button
              type="button"
              class="small"
              aria-label="Remove filter"
              onClick={() => setRows(rows.filter((other) => other.id !== row.id))}
            >
              Remove
            </button>
          </div>
        ))}
        {unused !== undefined && (
          <button
            type="button"
            class="small"
            onClick={() => setRows([...rows, { id: nextId.current++, key: unused, value: '' }])}
          >
            Add filter
          </button>
        )}
        <label class="check">
          <input
            type="checkbox"
            checked={insight}
            onChange={(event) => setInsight(event.currentTarget.checked)}
          />
          Insight events (EventCategory insight)
        </label>
      </fieldset>
      <fieldset>
        <legend>Time range</legend>
        <div class="presets">
          {PRESETS.map(({ id, label }) => (
            <button
              type="button"
              key={id}
              class={id === preset ? 'small chosen' : 'small'}
              aria-pressed={id === preset}
              onClick={() =>
                showQuery({
                  ...query,
                  attributes: attributesOf(),
                  insight,
                  range: { kind: 'relative', preset: id },
                })
              }
            >
              {label}
            </button>
          ))}
        </div>
        <div class="absolute">
          <label>
            Start (UTC, ISO 8601)
            <input
              value={start}
              placeholder="e.g. 2026-01-31T12:00:00Z"
              onInput={(event) => setStart(event.currentTarget.value)}
            />
          </label>
          <label>
            End
            <input value={end} placeholder="now" onInput={(event) => setEnd(event.currentTarget.value)} />
          </label>
        </div>
        {rangeError !== undefined && (
          <p class="banner error" role="alert">
            {rangeError}
          </p>
        )}
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary">
          Apply
        </button>
        <button type="button" onClick={() => navigate(BASE)}>
          Clear
        </button>
      </div>
    </form>
  );
}

const duration = (ms: number): string =>
  ms >= 86_400_000
    ? `${ms / 86_400_000} d`
    : ms >= 3_600_000
      ? `${ms / 3_600_000} h`
      : ms >= 60_000
        ? `${ms / 60_000} min`
        : `${ms / 1000} s`;

/** The filters the API suggests values for (GET /values/{attribute}, docs/console.md). */
const SUGGESTED = ['EventSource', 'EventName', 'Username'] as const;
type SuggestedKey = (typeof SUGGESTED)[number];
const isSuggested = (key: AttributeKey): key is SuggestedKey => SUGGESTED.some((name) => name === key);
/** Typing pauses this long before a suggestion request: one request per pause, not per key press. */
const SUGGEST_DELAY_MS = 200;

/** A datalist of the values the API suggests for what the field holds so far; a failure just offers none. */
function Suggestions({
  api,
  id,
  attribute,
  prefix,
}: {
  api: Api;
  id: string;
  attribute: SuggestedKey;
  prefix: string;
}) {
  const [values, setValues] = useState<readonly string[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .values(attribute, prefix, controller.signal)
        .then(setValues)
        .catch(() => setValues([]));
    }, SUGGEST_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, attribute, prefix]);
  return (
    <datalist id={id}>
      {values.map((value) => (
        <option key={value} value={value} />
      ))}
    </datalist>
  );
}

/** The histogram's viewBox: bars share the width; HISTOGRAM_EDGE on each side keeps the outer bars off the frame. */
const HISTOGRAM_WIDTH = 100;
const HISTOGRAM_HEIGHT = 40;
const HISTOGRAM_EDGE = 0.75;
/** At most this many bars, and at least MIN_BAR_PX of width each: a narrow window draws fewer, wider bars. */
const MAX_BARS = 60;
const MIN_BARS = 12;
const MIN_BAR_PX = 10;

/** An element's content width, followed as it resizes (undefined until first measured). */
function useWidth(element: Element | null): number | undefined {
  const [width, setWidth] = useState<number | undefined>();
  useEffect(() => {
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry?.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return width;
}

/** Bars of the loaded events over the view's range, drawn as SVG (no inline styles, which the CSP forbids). */
function Histogram({
  records,
  bounds,
  complete,
}: {
  records: readonly ConsoleRecord[];
  bounds: Bounds;
  complete: boolean;
}) {
  const [plot, setPlot] = useState<SVGSVGElement | null>(null);
  const plotWidth = useWidth(plot);
  const maxBars =
    plotWidth === undefined
      ? MAX_BARS
      : Math.max(MIN_BARS, Math.min(MAX_BARS, Math.floor(plotWidth / MIN_BAR_PX)));
  const buckets: Bucket[] = useMemo(
    () =>
      histogram(
        bounds.startMs,
        bounds.endMs,
        records.map((record) => Date.parse(record.eventTime)),
        maxBars,
      ),
    [records, bounds, maxBars],
  );
  const highest = Math.max(1, ...buckets.map((bucket) => bucket.count));
  const width = HISTOGRAM_WIDTH / buckets.length;
  const inset = HISTOGRAM_HEIGHT * PLOT_INSET;
  const zero = HISTOGRAM_HEIGHT - inset;
  const heightOf = (count: number): number => (count / highest) * (HISTOGRAM_HEIGHT - 2 * inset);
  return (
    <figure class="histogram">
      <div class="y-axis" aria-hidden="true">
        <span class="sizer">{highest}</span>
        <span class="tick zero">0</span>
        <span class="tick full">{highest}</span>
      </div>
      <svg
        ref={setPlot}
        viewBox={`${-HISTOGRAM_EDGE} 0 ${HISTOGRAM_WIDTH + 2 * HISTOGRAM_EDGE} ${HISTOGRAM_HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Events over time: ${records.length} loaded, at most ${highest} in a bar`}
      >
        <line class="zero" x1={-HISTOGRAM_EDGE} x2={HISTOGRAM_WIDTH + HISTOGRAM_EDGE} y1={zero} y2={zero} />
        {buckets.map((bucket, index) =>
          bucket.count === 0 ? null : (
            <rect
              key={bucket.startMs}
              x={index * width + width * 0.1}
              width={width * 0.8}
              y={zero - heightOf(bucket.count)}
              height={heightOf(bucket.count)}
            >
              <title>{`${formatInstant(bucket.startMs)} \u2013 ${formatInstant(bucket.endMs)}: ${bucket.count}`}</title>
            </rect>
          ),
        )}
      </svg>
      <figcaption>
        <span>{formatTime(formatInstant(bounds.startMs))}</span>
        <span class="scale">
          {`1 bar: ${duration((buckets[0]?.endMs ?? 0) - (buckets[0]?.startMs ?? 0))}, highest ${highest}; `}
          {complete ? 'all matching events' : 'the loaded events only: Load more to count the rest'}
        </span>
        <span>{formatTime(formatInstant(bounds.endMs))}</span>
      </figcaption>
    </figure>
  );
}

function Toolbar({
  api,
  query,
  view,
  onTail,
  columns,
  onColumns,
  apiUrl,
  region,
}: {
  api: Api;
  query: ConsoleQuery;
  view: View;
  onTail: (records: readonly ConsoleRecord[], bounds: Bounds) => void;
  columns: readonly string[];
  onColumns: (ids: readonly string[]) => void;
  apiUrl: string;
  region: string;
}) {
  return (
    <div class="toolbar">
      <LiveTail api={api} query={query} view={view} onTail={onTail} />
      <Downloads api={api} query={query} bounds={view.bounds} />
      <details class="menu">
        <summary>Columns</summary>
        <fieldset>
          <legend>Columns shown</legend>
          {COLUMNS.map((column) => (
            <label class="check" key={column.id}>
              <input
                type="checkbox"
                checked={columns.includes(column.id)}
                onChange={(event) =>
                  onColumns(
                    COLUMNS.map((other) => other.id).filter((id) =>
                      id === column.id ? event.currentTarget.checked : columns.includes(id),
                    ),
                  )
                }
              />
              {column.label}
            </label>
          ))}
        </fieldset>
      </details>
      <details class="menu wide">
        <summary>Copy query as</summary>
        <div class="snippets">
          {snippets({ kind: 'query', query, bounds: view.bounds }, { apiUrl, region }).map((snippet) => (
            <section key={snippet.id}>
              <h3>
                {snippet.label} <CopyButton text={snippet.text} />
              </h3>
              <pre>{snippet.text}</pre>
              {snippet.note !== undefined && <p class="hint">{snippet.note}</p>}
            </section>
          ))}
        </div>
      </details>
    </div>
  );
}

/**
 * Polls for events newer than the newest shown, with the view's filters, and puts them on top. A relative range's
 * end moves on with it; an absolute range that has ended has nothing to tail.
 */
function LiveTail({
  api,
  query,
  view,
  onTail,
}: {
  api: Api;
  query: ConsoleQuery;
  view: View;
  onTail: (records: readonly ConsoleRecord[], bounds: Bounds) => void;
}) {
  const [on, setOn] = useState(false);
  const [error, setError] = useState<unknown>();
  const latest = useRef(view);
  latest.current = view;
  const canTail = query.range.kind === 'relative' || query.range.endMs === undefined;
  useEffect(() => {
    if (!on || !canTail) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const { records, bounds } = latest.current;
      const newest = records[0] === undefined ? bounds.endMs : Date.parse(records[0].eventTime);
      const now = Date.now();
      try {
        const seen = new Set(records.map((record) => record.eventID));
        const page = await api.lookup(lookupParameters(query, { startMs: newest, endMs: now }, 100));
        const fresh = page.events.filter((record) => !seen.has(record.eventID));
        if (!stopped) {
          setError(undefined);
          onTail(fresh, {
            startMs: query.range.kind === 'relative' ? bounds.startMs + (now - bounds.endMs) : bounds.startMs,
            endMs: now,
          });
        }
      } catch (failure) {
        if (!stopped) setError(failure);
      }
      if (!stopped) timer = setTimeout(poll, TAIL_INTERVAL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [on, canTail, api, query]);
  if (!canTail) return null;
  return (
    <span class="tail">
      <button type="button" aria-pressed={on} class={on ? 'chosen' : ''} onClick={() => setOn(!on)}>
        {on ? 'Pause live tail' : 'Live tail'}
      </button>
      {on && error === undefined && (
        <span class="hint" role="status">
          Watching for new events…
        </span>
      )}
      {error !== undefined && <span class="hint error-text">{describeError(error)}</span>}
    </span>
  );
}

function Downloads({ api, query, bounds }: { api: Api; query: ConsoleQuery; bounds: Bounds }) {
  const [running, setRunning] = useState<
    { format: DownloadFormat; controller: AbortController } | undefined
  >();
  const [status, setStatus] = useState('');
  const start = (format: DownloadFormat) => {
    const controller = new AbortController();
    setRunning({ format, controller });
    setStatus('Starting…');
    download(
      api,
      lookupParameters(query, bounds, 1000),
      format,
      (count) => setStatus(`${count} events…`),
      controller.signal,
    )
      .then((total) =>
        setStatus(`Downloaded ${total} event${total === 1 ? '' : 's'} as ${format.toUpperCase()}.`),
      )
      .catch((failure: unknown) =>
        setStatus(controller.signal.aborted ? 'Download cancelled.' : describeError(failure)),
      )
      .finally(() => setRunning(undefined));
  };
  return (
    <span class="downloads">
      <button type="button" disabled={running !== undefined} onClick={() => start('json')}>
        Download JSON
      </button>
      <button type="button" disabled={running !== undefined} onClick={() => start('csv')}>
        Download CSV
      </button>
      {running !== undefined && (
        <button type="button" class="small" onClick={() => running.controller.abort()}>
          Cancel
        </button>
      )}
      <span class="hint" role="status" aria-live="polite">
        {status}
      </span>
    </span>
  );
}

/** Which sides of a horizontally scrolling box hold content out of view; follows its scrolling and resizing. */
function useHiddenSides(box: HTMLElement | null): { readonly before: boolean; readonly after: boolean } {
  const [sides, setSides] = useState({ before: false, after: false });
  useEffect(() => {
    if (box === null) return;
    const measure = () => {
      const before = box.scrollLeft > 1;
      const after = box.scrollLeft + box.clientWidth < box.scrollWidth - 1;
      setSides((current) =>
        current.before === before && current.after === after ? current : { before, after },
      );
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    if (box.firstElementChild !== null) observer.observe(box.firstElementChild);
    box.addEventListener('scroll', measure, { passive: true });
    return () => {
      observer.disconnect();
      box.removeEventListener('scroll', measure);
    };
  }, [box]);
  return sides;
}

/** A sideways scroll moves this share of the visible width, so a column cut at the edge stays in view. */
const SCROLL_SHARE = 0.8;

function EventTable({
  records,
  columns,
  onFilter,
  onSelect,
  selected,
}: {
  records: readonly ConsoleRecord[];
  columns: typeof COLUMNS;
  onFilter: (attribute: AttributeKey, value: string) => void;
  onSelect: (record: ConsoleRecord) => void;
  selected: string | undefined;
}) {
  const [wrap, setWrap] = useState<HTMLDivElement | null>(null);
  const hidden = useHiddenSides(wrap);
  if (records.length === 0) {
    return (
      <div class="empty" role="status">
        <p>No events match these filters in this time range.</p>
        <p class="hint">
          Widen the time range, remove a filter, or check the value's exact spelling: lookups match whole
          values.
        </p>
      </div>
    );
  }
  const scroll = (direction: 1 | -1) => wrap?.scrollBy({ left: direction * wrap.clientWidth * SCROLL_SHARE });
  return (
    <div class="table-frame">
      {(hidden.before || hidden.after) && (
        <p class="scroll-cue">
          <span class="hint">The table is wider than its space: some columns are out of view.</span>
          <button type="button" class="small" disabled={!hidden.before} onClick={() => scroll(-1)}>
            ← Columns
          </button>
          <button type="button" class="small" disabled={!hidden.after} onClick={() => scroll(1)}>
            More columns →
          </button>
        </p>
      )}
      <div
        class={`table-wrap${hidden.before ? ' more-before' : ''}${hidden.after ? ' more-after' : ''}`}
        ref={setWrap}
      >
        <table class="events">
          <caption class="visually-hidden">Events, newest first</caption>
          <thead>
            <tr>
              {columns.map((column) => (
                <th scope="col" key={column.id}>
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <tr key={record.eventID} class={record.eventID === selected ? 'selected' : undefined}>
                {columns.map((column) =>
                  column.id === 'eventTime' ? (
                    <td key={column.id} data-label={column.label}>
                      <a
                        href={eventHref(record.eventID)}
                        title="Show this event"
                        onClick={(event) => {
                          if (
                            event.button !== 0 ||
                            event.metaKey ||
                            event.ctrlKey ||
                            event.shiftKey ||
                            event.altKey
                          )
                            return;
                          event.preventDefault();
                          onSelect(record);
                        }}
                      >
                        {formatTime(record.eventTime)}
                      </a>
                    </td>
                  ) : (
                    <td key={column.id} data-label={column.label}>
                      {column.values(record).map((value) => (
                        <FilterValue
                          key={value}
                          value={value}
                          attribute={column.filter}
                          onFilter={onFilter}
                        />
                      ))}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
