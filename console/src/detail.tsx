import { useEffect, useState } from 'preact/hooks';
import { type Api, ApiError } from './api.js';
import { BASE, eventHref } from './nav.js';
import { type AttributeKey, EMPTY_QUERY, formatQuery, withAttribute } from './query.js';
import { type ConsoleRecord, userNameOf } from './record.js';
import { snippets } from './snippets.js';
import { Breakable, CopyButton, ErrorBanner, formatTime, Link } from './ui.js';

/** One event: its JSON as GET /events/{id} returns it, its resources, provenance and "copy as". */

/** A history link filtering on one value over the whole retention window, where the event is sure to be. */
const filterHref = (attribute: AttributeKey, value: string): string =>
  `${BASE}${formatQuery({ ...withAttribute(EMPTY_QUERY, attribute, value), range: { kind: 'relative', preset: '90d' } })}`;

interface Loaded {
  readonly text: string;
  readonly record: ConsoleRecord;
}

/** Insights are found only with EventCategory=insight: a deep link does not say which, so a 404 tries that next. */
async function loadEvent(api: Api, eventId: string, insight: boolean, signal: AbortSignal): Promise<Loaded> {
  try {
    const text = await api.getEvent(eventId, insight, signal);
    return { text, record: JSON.parse(text) as ConsoleRecord };
  } catch (error) {
    if (insight || !(error instanceof ApiError) || error.status !== 404) throw error;
    return loadEvent(api, eventId, true, signal);
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Receipt against event time: late events (a queue, a back-fill) and clocks ahead both show here. */
const receiptDelay = (ms: number): string =>
  Math.abs(ms) < 1000
    ? 'within a second of the event time'
    : ms > 0
      ? `${seconds(ms)} after the event time`
      : `${seconds(-ms)} before the event time`;

export function EventDetail({
  api,
  eventId,
  insight,
  apiUrl,
  region,
  inPane = false,
}: {
  api: Api;
  eventId: string;
  insight: boolean;
  apiUrl: string;
  region: string;
  inPane?: boolean;
}) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    setLoaded(undefined);
    setError(undefined);
    loadEvent(api, eventId, insight, controller.signal).then(setLoaded, (failure: unknown) => {
      if (!controller.signal.aborted) setError(failure);
    });
    return () => controller.abort();
  }, [api, eventId, insight]);

  const Heading = inPane ? 'h2' : 'h1';
  if (error !== undefined) {
    return (
      <section class="detail">
        <Heading>Event {eventId}</Heading>
        <ErrorBanner error={error} />
      </section>
    );
  }
  if (loaded === undefined) return <p role="status">Loading event {eventId}…</p>;
  const { record, text } = loaded;
  const pretty = JSON.stringify(JSON.parse(text), null, 2);
  const received = record.ingestion?.receivedAt;
  const delayMs = received === undefined ? undefined : Date.parse(received) - Date.parse(record.eventTime);
  const facts: Array<[string, AttributeKey | undefined, string | undefined]> = [
    ['Event name', 'EventName', record.eventName],
    ['Event source', 'EventSource', record.eventSource],
    ['User name', 'Username', userNameOf(record) || undefined],
    ['AWS access key', 'AccessKeyId', record.userIdentity?.accessKeyId],
    ['Error code', undefined, record.errorCode],
    ['Source IP address', undefined, record.sourceIPAddress],
    ['Client type', undefined, record.clientType],
  ];
  return (
    <section class="detail">
      <Heading>
        {record.eventName ?? 'Event'} <span class="subtle">{formatTime(record.eventTime)}</span>
      </Heading>
      {inPane && (
        <p>
          <Link href={eventHref(record.eventID)}>Open on its own page</Link>
        </p>
      )}
      <dl class="facts">
        {facts.map(([label, attribute, value]) =>
          value === undefined ? null : (
            <div key={label}>
              <dt>{label}</dt>
              <dd title={value}>
                {attribute === undefined ? value : <Link href={filterHref(attribute, value)}>{value}</Link>}
              </dd>
            </div>
          ),
        )}
      </dl>

      <h3>Resources</h3>
      {(record.resources ?? []).length === 0 ? (
        <p class="hint">This event names no resources.</p>
      ) : (
        <ul class="resources">
          {(record.resources ?? []).map((resource) => (
            <li key={`${resource.type}:${resource.ARN}`}>
              {resource.type !== undefined && <span class="subtle">{resource.type} </span>}
              {resource.ARN !== undefined && (
                <Link
                  href={filterHref('ResourceName', resource.ARN)}
                  title={`Every event naming ${resource.ARN}`}
                >
                  {resource.ARN}
                </Link>
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>Provenance</h3>
      <dl class="facts">
        <div>
          <dt>Put by</dt>
          <dd title={record.ingestion?.producerArn}>
            <Breakable text={record.ingestion?.producerArn ?? 'OpenTrail itself'} />
          </dd>
        </div>
        {record.ingestion?.channelArn !== undefined && (
          <div>
            <dt>Channel</dt>
            <dd title={record.ingestion.channelArn}>
              <Breakable text={record.ingestion.channelArn} />
            </dd>
          </div>
        )}
        <div>
          <dt>Event time</dt>
          <dd>{formatTime(record.eventTime)}</dd>
        </div>
        <div>
          <dt>Received</dt>
          <dd>
            {formatTime(received)}
            {delayMs !== undefined && ` (${receiptDelay(delayMs)})`}
          </dd>
        </div>
        <div>
          <dt>Redacted fields</dt>
          <dd>{(record.ingestion?.redactedFields ?? []).join(', ') || 'none'}</dd>
        </div>
      </dl>

      <h3>
        Record <CopyButton text={pretty} label="Copy JSON" />
      </h3>
      <pre class="json" data-testid="event-json">
        {pretty}
      </pre>

      <h3>Copy as</h3>
      <div class="snippets">
        {snippets(
          { kind: 'event', eventId: record.eventID, receivedAt: received ?? record.eventTime },
          { apiUrl, region },
        ).map((snippet) => (
          <section key={snippet.id}>
            <h4>
              {snippet.label} <CopyButton text={snippet.text} />
            </h4>
            <pre>{snippet.text}</pre>
            {snippet.note !== undefined && <p class="hint">{snippet.note}</p>}
          </section>
        ))}
      </div>
    </section>
  );
}
