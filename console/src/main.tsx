import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ApiSettings, createApi } from './api.js';
import { EventDetail } from './detail.js';
import { History } from './history.js';
import { InsightPage } from './insight.js';
import { Insights } from './insights.js';
import { BASE, onNavigate, type Route, routeOf } from './nav.js';
import { offeredSettings, storedSettings, storeSettings } from './settings.js';
import { Link } from './ui.js';

/** The console's shell: header, settings, and the page the URL names. */

function App({ offered }: { offered: ApiSettings | undefined }) {
  const [route, setRoute] = useState<Route>(() => routeOf(location.pathname, location.search));
  const [settings, setSettings] = useState<ApiSettings | undefined>(() => storedSettings() ?? offered);
  const [settingsOpen, setSettingsOpen] = useState(settings === undefined);
  useEffect(() => onNavigate(() => setRoute(routeOf(location.pathname, location.search))), []);
  const api = useMemo(() => settings && createApi(settings, location.origin), [settings]);
  const apiUrl = location.origin;

  const save = (next: ApiSettings | undefined) => {
    storeSettings(next);
    setSettings(next ?? offered);
    setSettingsOpen(false);
  };

  return (
    <>
      <header class="top">
        <a class="brand" href={BASE}>
          OpenTrail
        </a>
        <nav aria-label="Pages">
          <Link href={BASE}>Event history</Link>
          <Link href={`${BASE}insights`}>Insights</Link>
        </nav>
        <button
          type="button"
          class="small"
          aria-expanded={settingsOpen}
          onClick={() => setSettingsOpen(!settingsOpen)}
        >
          Settings
        </button>
      </header>
      {settingsOpen && <Settings current={settings} offered={offered} onSave={save} />}
      <main>
        {api === undefined || settings === undefined ? (
          <p class="banner warning" role="status">
            Enter an access key pair in Settings to look up events.
          </p>
        ) : route.page === 'history' ? (
          <History api={api} search={route.search} apiUrl={apiUrl} region={settings.region} />
        ) : route.page === 'event' ? (
          <EventDetail
            api={api}
            eventId={route.eventId}
            insight={false}
            apiUrl={apiUrl}
            region={settings.region}
          />
        ) : route.page === 'insight' ? (
          <InsightPage api={api} sharedEventID={route.sharedEventID} />
        ) : (
          <Insights api={api} />
        )}
      </main>
    </>
  );
}

function Settings({
  current,
  offered,
  onSave,
}: {
  current: ApiSettings | undefined;
  offered: ApiSettings | undefined;
  onSave: (settings: ApiSettings | undefined) => void;
}) {
  const [accessKeyId, setAccessKeyId] = useState(current?.credentials.accessKeyId ?? '');
  const [secretAccessKey, setSecretAccessKey] = useState(current?.credentials.secretAccessKey ?? '');
  const [region, setRegion] = useState(current?.region ?? 'us-east-1');
  return (
    <form
      class="settings"
      aria-label="Settings"
      onSubmit={(event) => {
        event.preventDefault();
        onSave({ region: region.trim(), credentials: { accessKeyId: accessKeyId.trim(), secretAccessKey } });
      }}
    >
      <p class="hint">
        The console signs every API call with this pair (SigV4). It is kept in this tab only (sessionStorage).
      </p>
      <label>
        Access key ID
        <input
          name="accessKeyId"
          autocomplete="off"
          required
          value={accessKeyId}
          onInput={(event) => setAccessKeyId(event.currentTarget.value)}
        />
      </label>
      <label>
        Secret access key
        <input
          name="secretAccessKey"
          type="password"
          autocomplete="off"
          required
          value={secretAccessKey}
          onInput={(event) => setSecretAccessKey(event.currentTarget.value)}
        />
      </label>
      <label>
        Region
        <input
          name="region"
          required
          value={region}
          onInput={(event) => setRegion(event.currentTarget.value)}
        />
      </label>
      <div class="actions">
        <button type="submit" class="primary">
          Save
        </button>
        {offered !== undefined && (
          <button type="button" onClick={() => onSave(undefined)}>
            Use local mode's reader keys
          </button>
        )}
      </div>
    </form>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  void offeredSettings().then((offered) => render(<App offered={offered} />, root));
}
