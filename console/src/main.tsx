import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { type ApiSettings, createApi } from './api.js';
import { isCognitoConfig } from './cognito.js';
import { isSettings, storedSettings, storeSettings } from './settings.js';
import { Header, Pages } from './shell.js';
import { CognitoConsole } from './signin.js';

/**
 * The console's entry: /console/config.json says how it signs. With the Cognito keys (the console in AWS) the
 * investigator signs in (signin.tsx); otherwise it signs with a key pair: local mode's reader pair, or one entered
 * in Settings.
 */

function LocalConsole({ offered }: { offered: ApiSettings | undefined }) {
  const [settings, setSettings] = useState<ApiSettings | undefined>(() => storedSettings() ?? offered);
  const [settingsOpen, setSettingsOpen] = useState(settings === undefined);
  const apiUrl = location.origin;
  const api = useMemo(() => settings && createApi(settings.region, settings.credentials, apiUrl), [settings]);

  const save = (next: ApiSettings | undefined) => {
    storeSettings(next);
    setSettings(next ?? offered);
    setSettingsOpen(false);
  };

  return (
    <>
      <Header pages>
        <button
          type="button"
          class="small"
          aria-expanded={settingsOpen}
          onClick={() => setSettingsOpen(!settingsOpen)}
        >
          Settings
        </button>
      </Header>
      {settingsOpen && <Settings current={settings} offered={offered} onSave={save} />}
      <main>
        {api === undefined || settings === undefined ? (
          <p class="banner warning" role="status">
            Enter an access key pair in Settings to look up events.
          </p>
        ) : (
          <Pages api={api} apiUrl={apiUrl} region={settings.region} />
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

/** The server's config.json; undefined when there is none (a console hosted without local mode's or AWS's). */
async function consoleConfig(): Promise<unknown> {
  try {
    const response = await fetch('/console/config.json', { cache: 'no-store' });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  void consoleConfig().then((config) =>
    render(
      isCognitoConfig(config) ? (
        <CognitoConsole config={config} />
      ) : (
        <LocalConsole offered={isSettings(config) ? config : undefined} />
      ),
      root,
    ),
  );
}
