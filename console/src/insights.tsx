import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { eventHref, insightHref } from './nav.js';
import { EMPTY_QUERY, lookupParameters } from './query.js';
import type { ConsoleRecord, InsightDetails } from './record.js';
import { RETENTION_MS } from './time.js';
import { ErrorBanner, formatTime, Link } from './ui.js';

/**
 * Insights over the retention window, open ones first: a Start without its End (same sharedEventID) is open. The
 * bars compare the two averages the insight record itself holds (insightContext.statistics); each row's state
 * opens the insight's page with its per-minute graph (insight.tsx).
 */

interface Insight {
  readonly start?: ConsoleRecord;
  readonly end?: ConsoleRecord;
  readonly details: InsightDetails;
}

/** Pairs Start and End records by sharedEventID; open insights first, then newest first. */
export function pairInsights(records: readonly ConsoleRecord[]): Insight[] {
  const byId = new Map<string, { start?: ConsoleRecord; end?: ConsoleRecord }>();
  for (const record of records) {
    const id = record.sharedEventID ?? record.eventID;
    const pair = byId.get(id) ?? {};
    if (record.insightDetails?.state === 'End') pair.end = record;
    else pair.start = record;
    byId.set(id, pair);
  }
  const timeOf = (insight: Insight) => Date.parse((insight.start ?? insight.end)?.eventTime ?? '') || 0;
  return [...byId.values()]
    .map((pair) => ({ ...pair, details: (pair.end ?? pair.start)?.insightDetails ?? {} }))
    .sort((a, b) => Number(a.end !== undefined) - Number(b.end !== undefined) || timeOf(b) - timeOf(a));
}

const PAGE_SIZE = 1000;
/** The table's columns; each cell repeats its label for the narrow window's cards (styles.css). */
const INSIGHT_COLUMNS = [
  'State',
  'Insight type',
  'Event source',
  'Event name',
  'Error code',
  'Start',
  'End',
  'Baseline vs insight (per minute)',
] as const;

export function Insights({ api }: { api: Api }) {
  const [insights, setInsights] = useState<Insight[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [more, setMore] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    const now = Date.now();
    api
      .lookup(
        lookupParameters(
          { ...EMPTY_QUERY, insight: true },
          { startMs: now - RETENTION_MS, endMs: now },
          PAGE_SIZE,
        ),
        controller.signal,
      )
      .then((page) => {
        setInsights(pairInsights(page.events));
        setMore(page.nextToken !== undefined);
      })
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api]);

  return (
    <div class="insights">
      <h1>Insights</h1>
      {error !== undefined && <ErrorBanner error={error} />}
      {insights === undefined && error === undefined && <p role="status">Loading insights…</p>}
      {insights?.length === 0 && (
        <div class="empty" role="status">
          <p>No insights in the last 90 days.</p>
          <p class="hint">
            Insights open when write calls or errors per minute leave their baseline (docs/insights.md).
          </p>
        </div>
      )}
      {insights !== undefined && insights.length > 0 && (
        <div class="table-wrap">
          <table class="events">
            <caption class="visually-hidden">Insights, open ones first</caption>
            <thead>
              <tr>
                {INSIGHT_COLUMNS.map((label) => (
                  <th scope="col" key={label}>
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {insights.map((insight) => {
                const first = insight.start ?? insight.end;
                const statistics = insight.details.insightContext?.statistics;
                const state = insight.end === undefined ? <strong>Open</strong> : 'Closed';
                const cells = [
                  first?.sharedEventID === undefined ? (
                    state
                  ) : (
                    <Link href={insightHref(first.sharedEventID)}>{state}</Link>
                  ),
                  insight.details.insightType,
                  insight.details.eventSource,
                  insight.details.eventName,
                  insight.details.errorCode ?? '',
                  insight.start && (
                    <Link href={eventHref(insight.start.eventID)}>{formatTime(insight.start.eventTime)}</Link>
                  ),
                  insight.end && (
                    <Link href={eventHref(insight.end.eventID)}>{formatTime(insight.end.eventTime)}</Link>
                  ),
                  <Averages
                    key="averages"
                    baseline={statistics?.baseline?.average ?? 0}
                    insight={statistics?.insight?.average ?? 0}
                  />,
                ];
                return (
                  <tr key={first?.eventID}>
                    {cells.map((cell, index) => (
                      <td key={INSIGHT_COLUMNS[index]} data-label={INSIGHT_COLUMNS[index]}>
                        {cell}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {more && <p class="hint">Only the newest {PAGE_SIZE} insight records are shown.</p>}
    </div>
  );
}

/** Two bars, baseline and insight average, on one scale. */
function Averages({ baseline, insight }: { baseline: number; insight: number }) {
  const top = Math.max(baseline, insight, 1e-9);
  return (
    <span class="averages">
      <svg
        viewBox="0 0 100 12"
        preserveAspectRatio="none"
        role="img"
        aria-label={`baseline ${baseline}, insight ${insight} per minute`}
      >
        <rect class="baseline" x="0" y="0" height="5" width={(baseline / top) * 100} />
        <rect class="insight" x="0" y="7" height="5" width={(insight / top) * 100} />
      </svg>
      <span>
        {baseline} → {insight}
      </span>
    </span>
  );
}
