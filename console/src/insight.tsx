import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from './api.js';
import { BASE } from './nav.js';
import { type Attribution, type InsightSeries, seriesGeometry } from './series.js';
import { ErrorBanner, formatTime, Link } from './ui.js';

/**
 * One insight's page: the per-minute count of its key against its baseline, with the insight's window shaded
 * (GET /insights/{sharedEventID}/series, docs/insights.md), and its top attributions.
 */

const WIDTH = 1000;
const HEIGHT = 200;

/** The attribution tables' columns; each cell repeats its label for the narrow window's cards (styles.css). */
const ATTRIBUTION_COLUMNS = ['Value', 'Insight average per minute', 'Baseline average per minute'] as const;

const ATTRIBUTE_LABELS: Readonly<Record<string, string>> = {
  userIdentityArn: 'Users',
  userAgent: 'User agents',
  errorCode: 'Error codes',
};

export function InsightPage({ api, sharedEventID }: { api: Api; sharedEventID: string }) {
  const [series, setSeries] = useState<InsightSeries | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    setSeries(undefined);
    setError(undefined);
    api
      .insightSeries(sharedEventID, controller.signal)
      .then(setSeries)
      .catch((failure: unknown) => {
        if (!controller.signal.aborted) setError(failure);
      });
    return () => controller.abort();
  }, [api, sharedEventID]);

  return (
    <div class="insight">
      <p>
        <Link href={`${BASE}insights`}>All insights</Link>
      </p>
      <h1>Insight {sharedEventID}</h1>
      {error !== undefined && <ErrorBanner error={error} />}
      {series === undefined && error === undefined && <p role="status">Loading the insight…</p>}
      {series !== undefined && (
        <>
          <dl class="insight-key">
            <dt>Type</dt>
            <dd>{series.key.insightType}</dd>
            <dt>Event source</dt>
            <dd>{series.key.eventSource}</dd>
            <dt>Event name</dt>
            <dd>{series.key.eventName}</dd>
            {series.key.errorCode !== undefined && (
              <>
                <dt>Error code</dt>
                <dd>{series.key.errorCode}</dd>
              </>
            )}
            <dt>Window</dt>
            <dd>
              {formatTime(series.insightStart)} – {series.insightEnd ? formatTime(series.insightEnd) : 'open'}
            </dd>
          </dl>
          <SeriesGraph series={series} />
          <Attributions attributions={series.attributions} />
        </>
      )}
    </div>
  );
}

/** A tick's label: whole numbers as they are, a half tick to one decimal. */
const tickLabel = (value: number): string => (Number.isInteger(value) ? `${value}` : value.toFixed(1));
/** Class names that place each tick label at its gridline's height (styles.css, PLOT_INSET). */
const TICK_CLASSES = ['tick zero', 'tick half', 'tick full'];

function SeriesGraph({ series }: { series: InsightSeries }) {
  const geometry = useMemo(() => seriesGeometry(series, WIDTH, HEIGHT), [series]);
  const first = series.minutes[0]?.minute;
  const last = series.minutes.at(-1)?.minute;
  return (
    <figure class="series">
      <div class="y-axis" aria-hidden="true">
        <span class="sizer">{tickLabel(geometry.top)}</span>
        {geometry.ticks.map((tick, index) => (
          <span class={TICK_CLASSES[index]} key={tick.value}>
            {tickLabel(tick.value)}
          </span>
        ))}
      </div>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Calls per minute over ${series.minutes.length} minutes against the baseline, the insight shaded; the scale runs from 0 to ${geometry.top}`}
      >
        {geometry.ticks.map((tick) => (
          <line
            key={tick.value}
            class={tick.value === 0 ? 'zero' : 'grid'}
            x1="0"
            x2={WIDTH}
            y1={tick.y}
            y2={tick.y}
          />
        ))}
        <rect class="window" x={geometry.window.x} y="0" width={geometry.window.width} height={HEIGHT} />
        <line class="window-start" x1={geometry.window.x} x2={geometry.window.x} y1="0" y2={HEIGHT} />
        {geometry.baseline !== '' && <path class="baseline" d={geometry.baseline} />}
        <path class="actual" d={geometry.actual} />
      </svg>
      <figcaption>
        <span>{formatTime(first)}</span>
        <span class="legend">
          {`${series.minutes.length} minutes, calls per minute, highest ${geometry.highest}: `}
          <span class="key">
            <span class="swatch actual" />
            actual
          </span>
          <span class="key">
            <span class="swatch baseline" />
            baseline
          </span>
          <span class="key">
            <span class="swatch window" />
            insight
          </span>
        </span>
        <span>{formatTime(last)}</span>
      </figcaption>
    </figure>
  );
}

function Attributions({ attributions: all }: { attributions: readonly Attribution[] }) {
  const attributions = all.filter((attribution) => attribution.insight.length > 0);
  if (attributions.length === 0) {
    return <p class="hint">No attributions yet: the insight's End record carries them.</p>;
  }
  return (
    <section class="attributions" aria-label="Top attributions">
      <h2>Top attributions</h2>
      {attributions.map((attribution) => (
        <table class="events attribution" key={attribution.attribute}>
          <caption>{ATTRIBUTE_LABELS[attribution.attribute] ?? attribution.attribute}</caption>
          <thead>
            <tr>
              {ATTRIBUTION_COLUMNS.map((label, index) => (
                <th scope="col" key={label} class={index === 0 ? undefined : 'number'}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {attribution.insight.map((value) => (
              <tr key={value.value}>
                <td data-label={ATTRIBUTION_COLUMNS[0]}>{value.value}</td>
                <td class="number" data-label={ATTRIBUTION_COLUMNS[1]}>
                  {value.average}
                </td>
                <td class="number" data-label={ATTRIBUTION_COLUMNS[2]}>
                  {attribution.baseline.find((other) => other.value === value.value)?.average ?? 0}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
