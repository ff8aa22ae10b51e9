import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, csvRecord } from '../../console/src/csv.js';
import type { ConsoleRecord } from '../../console/src/record.js';
import { type InsightSeries, seriesGeometry } from '../../console/src/series.js';
import { pageCount } from '../../lambda/core/keys.js';
import { PROJECT_ROOT } from '../../local/emulator.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { eventually } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * The console (docs/console.md) in Debian's Chromium against local mode, as an investigator uses it: deep links,
 * the detail page, downloads, the live tail, an insight's graph, value suggestions and wrong credentials. The screenshots in docs/console/ come from here.
 */

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SCREENSHOTS = join(PROJECT_ROOT, 'docs', 'console');
/** How long a page may take to show what a step waits for: a deadline, not a measurement. */
const DEADLINE_MS = 30_000;
/** A short insights baseline, so three hours of back-dated traffic make a full history (as test/e2e/insights.test.ts). */
const BASELINE_MINUTES = 180;

describe.skipIf(CHROMIUM === undefined)('the console in Chromium', () => {
  let local: LocalHandle;
  let browser: Browser;
  const runId = `console${Date.now()}`;
  const alice = `${runId}-alice`;
  const startTime = new Date(Date.now() - 3_600_000).toISOString();

  const api = (
    path: string,
    init: { method?: string; body?: string } = {},
    credentials = local.credentials,
  ) => signedFetch(new URL(path, local.apiUrl), { ...init, credentials, region: local.region });

  const put = async (events: object[]): Promise<string[]> => {
    const response = await api('/events', { method: 'POST', body: JSON.stringify({ events }) });
    const body = (await response.json()) as { successful: Array<{ eventID: string }> };
    return body.successful.map((success) => success.eventID);
  };

  const event = (userName: string, eventName: string, order: string) => ({
    eventSource: 'orders.example.com',
    eventName,
    readOnly: false,
    userIdentity: { type: 'IAMUser', userName, accessKeyId: 'AKIAEXAMPLE' },
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-sdk-js/3.0',
    resources: [{ ARN: `arn:aws:orders:us-east-1:123456789012:order/${order}`, type: 'Order' }],
    requestParameters: { orderId: order, note: '=HYPERLINK("http://example.com")' },
  });

  /** Every record of a lookup, following nextToken, as the reader sees it. */
  const lookupAll = async (query: string): Promise<ConsoleRecord[]> => {
    const records: ConsoleRecord[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken === undefined ? '' : `&nextToken=${encodeURIComponent(nextToken)}`;
      const response = await api(`/events?${query}&maxResults=1000${token}`, {}, local.readerCredentials);
      const page = (await response.json()) as { events: ConsoleRecord[]; nextToken?: string };
      records.push(...page.events);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return records;
  };

  const openPage = async (path: string, options: { dark?: boolean; width?: number } = {}): Promise<Page> => {
    const context = await browser.newContext({
      baseURL: local.apiUrl,
      colorScheme: options.dark ? 'dark' : 'light',
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    context.setDefaultTimeout(DEADLINE_MS);
    const page = await context.newPage();
    await page.goto(path);
    return page;
  };

  /** The event IDs the history table lists, in its order (each row's time links to the event's page). */
  const listedIds = (page: Page) =>
    page
      .locator('table.events tbody tr td:first-child a')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href')?.split('/').pop() ?? ''));

  beforeAll(async () => {
    local = await startLocal({ insights: { baselineMinutes: BASELINE_MINUTES, intervalSeconds: 3600 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    await mkdir(SCREENSHOTS, { recursive: true });
    await put([
      event(alice, 'DeleteOrder', 'o-1'),
      event(alice, 'DeleteOrder', 'o-2'),
      event(alice, 'CreateOrder', 'o-3'),
      event(`${runId}-bob`, 'DeleteOrder', 'o-4'),
      {
        ...event(
          alice,
          'GetOrder',
          'o-a-very-long-order-identifier-that-does-not-fit-in-its-column-0123456789',
        ),
        readOnly: true,
        errorCode: 'AccessDenied',
      },
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
  });

  it('shows exactly the events a deep link names, and nothing else', async () => {
    // Prepare
    const search = `Username=${alice}&EventName=DeleteOrder&startTime=${startTime}`;
    const expected = (await lookupAll(search)).map((record) => record.eventID);

    // Act
    const page = await openPage(`/console/?${search}`);
    await page.locator('table.events tbody tr').first().waitFor();

    // Assess
    expect(expected).toHaveLength(2);
    expect(await listedIds(page)).toEqual(expected);
    await expect.poll(() => page.locator('select[aria-label="Lookup attribute"]').count()).toBe(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'history-deep-link.png'), fullPage: true });
  });

  it('lists newest first, takes a clicked value as a filter, and goes back to the view before', async () => {
    // Prepare
    const page = await openPage(`/console/?Username=${alice}&startTime=${startTime}`);
    await page.locator('table.events tbody tr').nth(3).waitFor();
    const all = await listedIds(page);

    // Act
    await page.getByRole('button', { name: 'CreateOrder' }).click();
    await page.waitForURL(/EventName=CreateOrder/);
    await expect.poll(() => listedIds(page)).toHaveLength(1);
    await page.goBack();

    // Assess
    expect(all).toEqual([...all].sort().reverse());
    await expect.poll(() => listedIds(page)).toEqual(all);
    await page.locator('table.events tbody tr td:first-child a').last().click();
    await page.locator('aside.pane pre.json').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'history-with-pane.png'), fullPage: true });
  });

  it('shows on the event page the JSON GET /events/{id} returns', async () => {
    // Prepare
    const [record] = await lookupAll(`Username=${alice}&EventName=CreateOrder&startTime=${startTime}`);
    const eventId = record?.eventID ?? '';
    const stored: unknown = await (await api(`/events/${eventId}`)).json();

    // Act
    const page = await openPage(`/console/events/${eventId}`);
    const shown = await page.getByTestId('event-json').textContent();

    // Assess
    expect(JSON.parse(shown ?? '')).toEqual(stored);
    await expect(page.getByRole('link', { name: /order\/o-3$/ }).getAttribute('href')).resolves.toContain(
      'ResourceName=',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'event-detail.png'), fullPage: true });
    const dark = await openPage(`/console/events/${eventId}`, { dark: true });
    await dark.getByTestId('event-json').waitFor();
    await dark.screenshot({ path: join(SCREENSHOTS, 'event-detail-dark.png'), fullPage: true });
  });

  it('downloads JSON and CSV that equal the lookup', async () => {
    // Prepare
    const search = `Username=${alice}&startTime=${startTime}`;
    const records = await lookupAll(search);
    const page = await openPage(`/console/?${search}`);
    await page.locator('table.events tbody tr').first().waitFor();

    // Act
    const saved = async (name: string) => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name }).click(),
      ]);
      return readFile(await download.path(), 'utf8');
    };
    const json = await saved('Download JSON');
    const csv = await saved('Download CSV');

    // Assess
    expect(records).toHaveLength(4);
    expect(JSON.parse(json)).toEqual(records);
    expect(csv).toBe(CSV_HEADER + records.map(csvRecord).join(''));
    await page.getByText('Downloaded 4 events as CSV.').waitFor();
  });

  it('shows a new event in the live tail', async () => {
    // Prepare
    const tailUser = `${runId}-tail`;
    await put([event(tailUser, 'CreateOrder', 't-1')]);
    const page = await openPage(`/console/?Username=${tailUser}&range=15m`, { width: 420 });
    await page.locator('table.events tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Live tail' }).click();
    await page.getByText('Watching for new events').waitFor();

    // Act
    const [added] = await put([event(tailUser, 'DeleteOrder', 't-1')]);

    // Assess
    await page.locator(`a[href="/console/events/${added}"]`).waitFor();
    expect((await listedIds(page))[0]).toBe(added);
    await page.screenshot({ path: join(SCREENSHOTS, 'history-narrow.png'), fullPage: true });
  });

  it('suggests event sources, event names and users from GET /values', async () => {
    // Prepare: event names come from the insight key catalog, which the counter consumer fills from the stream.
    await eventually(async () => {
      const response = await api('/values/EventName?prefix=Delete', {}, local.readerCredentials);
      const body = (await response.json()) as { values: string[] };
      return body.values.includes('DeleteOrder') ? true : undefined;
    }, 'DeleteOrder in the insight key catalog');

    // Act: a deep link with one filter of each kind, each value a prefix of a stored one.
    const page = await openPage(`/console/?EventSource=orders.&EventName=Delete&Username=${runId}-a`);
    /** The options of the datalist the filter row for `attribute` offers. */
    const suggested = async (attribute: string) => {
      const rows = await page
        .locator('.filter-row')
        .evaluateAll((elements) =>
          elements.map((row) => [
            row.querySelector('select')?.value,
            row.querySelector('input')?.getAttribute('list'),
          ]),
        );
      const list = rows.find(([key]) => key === attribute)?.[1];
      if (!list) return [];
      return page
        .locator(`datalist[id="${list}"] option`)
        .evaluateAll((options) => options.map((option) => option.getAttribute('value')));
    };

    // Assess
    const deadline = { timeout: DEADLINE_MS };
    await expect.poll(() => suggested('EventSource'), deadline).toEqual(['orders.example.com']);
    await expect.poll(() => suggested('Username'), deadline).toEqual([alice]);
    await expect.poll(() => suggested('EventName'), deadline).toEqual(['DeleteOrder']);
  });

  it('draws an insight from the series route: actual against baseline, the window shaded, the attributions', async () => {
    // Prepare: 3 hours of 4 CreateUser calls a minute, then 3 minutes of 120, which open an insight.
    const nowMinute = Math.floor(Date.now() / 60_000);
    const burst = (minute: number, i: number) => ({
      eventSource: `${runId}.iam.example.com`,
      eventName: 'CreateUser',
      eventTime: new Date(minute * 60_000 + (i % 60) * 1000).toISOString(),
      userIdentity: { type: 'IAMUser', userName: minute >= nowMinute - 5 ? 'mallory' : 'provisioner' },
    });
    const traffic: object[] = [];
    for (let minute = nowMinute - BASELINE_MINUTES; minute < nowMinute - 5; minute++) {
      for (let i = 0; i < 4; i++) traffic.push(burst(minute, i));
    }
    for (let minute = nowMinute - 5; minute < nowMinute - 2; minute++) {
      for (let i = 0; i < 120; i++) traffic.push(burst(minute, i));
    }
    const before = local.streamStats().insightsCounter.recordsDelivered;
    const eventIDs: string[] = [];
    for (let start = 0; start < traffic.length; start += 100)
      eventIDs.push(...(await put(traffic.slice(start, start + 100))));
    // The stream carries pages: the counter consumer is through when it has every page of these events.
    const counted = before + pageCount(eventIDs);
    await eventually(
      async () => (local.streamStats().insightsCounter.recordsDelivered >= counted ? true : undefined),
      'the counter consumer through every event',
      60_000,
    );
    expect((await local.runInsights()).started).toBe(1);

    // Act
    const list = await openPage('/console/insights');
    const [response] = await Promise.all([
      list.waitForResponse((candidate) =>
        /\/insights\/[^/]+\/series$/.test(new URL(candidate.url()).pathname),
      ),
      list.getByRole('link', { name: 'Open', exact: true }).click(),
    ]);
    const series = (await response.json()) as InsightSeries;
    const actual = list.locator('figure.series path.actual');
    await actual.waitFor();

    // Assess
    expect(response.status()).toBe(200);
    expect(series.key).toMatchObject({ eventSource: `${runId}.iam.example.com`, eventName: 'CreateUser' });
    expect(series.minutes.some((minute) => minute.count >= 120)).toBe(true);
    const geometry = seriesGeometry(series, 1000, 200);
    expect(await actual.getAttribute('d')).toBe(geometry.actual);
    expect(await list.locator('figure.series path.baseline').getAttribute('d')).toBe(geometry.baseline);
    expect(Number(await list.locator('figure.series rect.window').getAttribute('width'))).toBeGreaterThan(0);
    const insightPath = new URL(list.url()).pathname;
    const seriesId = new URL(response.url()).pathname.split('/')[2];
    expect(insightPath).toBe(`/console/insights/${seriesId}`);
    const top = series.attributions.find((attribution) => attribution.attribute === 'userIdentityArn');
    expect(top?.insight[0]?.value).toBe('mallory');
    await list.getByRole('region', { name: 'Top attributions' }).getByText('mallory').waitFor();
    await list.screenshot({ path: join(SCREENSHOTS, 'insight-graph.png'), fullPage: true });
    // The address opens the same page directly (local mode's front answers index.html for it).
    const direct = await openPage(insightPath);
    await direct.locator('figure.series path.actual').waitFor();
    expect(await direct.locator('figure.series path.actual').getAttribute('d')).toBe(geometry.actual);
  });

  it('says why the API refused wrong credentials instead of showing a blank page', async () => {
    // Prepare
    const page = await openPage('/console/', { dark: true });
    await page.getByRole('button', { name: 'Settings' }).click();

    // Act
    await page.getByLabel('Access key ID').fill('wrong');
    await page.getByLabel('Secret access key').fill('wrong');
    await page.getByRole('button', { name: 'Save' }).click();

    // Assess
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/^The API refused these credentials \(\w+\): .+/);
    await page.screenshot({ path: join(SCREENSHOTS, 'wrong-credentials-dark.png'), fullPage: true });
  });

  it('serves the console with its security headers and refuses paths outside it', async () => {
    // Act
    const page = await fetch(new URL('/console/', local.apiUrl));
    const traversal = await fetch(new URL('/console/%2e%2e/package.json', local.apiUrl));
    const config = (await (await fetch(new URL('/console/config.json', local.apiUrl))).json()) as object;

    // Assess
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    );
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(traversal.status).toBe(404);
    expect(config).toEqual({ region: local.region, credentials: local.readerCredentials });
  });
});
