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

type Rgba = readonly [number, number, number, number];

/** A computed CSS colour (`rgb()`, `rgba()` or `color(srgb ...)`) as 0-255 channels and an alpha. */
const parseColour = (css: string): Rgba => {
  const numbers = (css.match(/[\d.]+/g) ?? []).map(Number);
  const [r = 0, g = 0, b = 0, a = 1] = numbers;
  return css.startsWith('color(srgb') ? [r * 255, g * 255, b * 255, a] : [r, g, b, a];
};

/** WCAG 2 contrast of a colour (its alpha times `opacity`, over `background`) against that background. */
const contrast = (colour: string, background: string, opacity = 1): number => {
  const [r, g, b, a] = parseColour(colour);
  const [br, bg, bb] = parseColour(background);
  const alpha = a * opacity;
  const blended = [r * alpha + br * (1 - alpha), g * alpha + bg * (1 - alpha), b * alpha + bb * (1 - alpha)];
  const luminance = (channels: readonly number[]) =>
    channels
      .map((channel) => channel / 255)
      .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
      .reduce((sum, c, i) => sum + c * ([0.2126, 0.7152, 0.0722][i] ?? 0), 0);
  const [high, low] = [luminance(blended), luminance([br, bg, bb])].sort((x, y) => y - x);
  return ((high ?? 0) + 0.05) / ((low ?? 0) + 0.05);
};

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

  /** The viewport box of every element the selector matches. */
  const boxes = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((elements) =>
      elements.map((element) => {
        const { left, right, top, bottom } = element.getBoundingClientRect();
        return { left, right, top, bottom };
      }),
    );

  /**
   * The insight graph reads as a person needs it to: the line inside the plot with room above its peak and a zero
   * on the zero gridline, and each legend swatch at 3:1 or more against the page (its text at 4.5:1), as drawn:
   * every opacity on the way up counts.
   */
  const expectReadableGraph = async (page: Page) => {
    const d = (await page.locator('figure.series path.actual').getAttribute('d')) ?? '';
    const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => Number(match[1]));
    const zero = Number(await page.locator('figure.series svg line.zero').getAttribute('y1'));
    const gridlines = await page
      .locator('figure.series svg line.grid')
      .evaluateAll((lines) => lines.map((line) => Number(line.getAttribute('y1'))));
    expect(ys.length).toBeGreaterThan(100);
    expect(Math.min(...ys)).toBeGreaterThan(Math.min(...gridlines));
    expect(Math.max(...ys)).toBeLessThanOrEqual(zero);
    expect(ys.at(-1)).toBe(zero);
    const [plot] = await boxes(page, 'figure.series svg');
    const [line] = await boxes(page, 'figure.series path.actual');
    expect(line?.top).toBeGreaterThan((plot?.top ?? 0) + 4);
    expect(line?.bottom).toBeLessThan((plot?.bottom ?? 0) - 4);
    const keys = await page.locator('figure.series .key').evaluateAll((elements) => {
      const drawnIn: Record<string, 'backgroundColor' | 'borderTopColor' | 'borderLeftColor'> = {
        actual: 'backgroundColor',
        baseline: 'borderTopColor',
        window: 'borderLeftColor',
      };
      // The test's TypeScript has no DOM library: reach the window through the elements.
      type Drawn = (typeof elements)[number];
      const style = (element: Drawn) => element.ownerDocument.defaultView.getComputedStyle(element);
      const opacityOf = (element: Drawn | null): number => {
        let opacity = 1;
        for (let at = element; at !== null; at = at.parentElement) opacity *= Number(style(at).opacity);
        return opacity;
      };
      return elements.map((key) => {
        const swatch = key.querySelector('.swatch');
        const kind = [...(swatch?.classList ?? [])].find((name) => name in drawnIn) ?? '';
        const property = drawnIn[kind] ?? 'backgroundColor';
        return {
          label: key.textContent,
          swatch: swatch === null ? 'rgba(0, 0, 0, 0)' : style(swatch)[property],
          text: style(key).color,
          opacity: opacityOf(swatch),
          textOpacity: opacityOf(key),
        };
      });
    });
    const background = await page
      .locator('body')
      .evaluate((body) => body.ownerDocument.defaultView.getComputedStyle(body).backgroundColor);
    expect(keys.map((key) => key.label)).toEqual(['actual', 'baseline', 'insight']);
    for (const key of keys) {
      expect(contrast(key.swatch, background, key.opacity), `${key.label} swatch`).toBeGreaterThanOrEqual(3);
      expect(contrast(key.text, background, key.textOpacity), `${key.label} text`).toBeGreaterThanOrEqual(
        4.5,
      );
    }
  };

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

  it('says when the pane leaves the table columns out of view, and scrolls them into it', async () => {
    // Prepare: the pane takes two fifths of the width; the five columns need more than the rest.
    const page = await openPage(`/console/?Username=${alice}&startTime=${startTime}`);
    await page.locator('table.events tbody tr td:first-child a').last().click();
    await page.locator('aside.pane pre.json').waitFor();
    const wrap = page.locator('.table-wrap');
    const more = page.getByRole('button', { name: 'More columns →' });
    const lastHeading = async () => (await boxes(page, 'table.events thead th:last-child'))[0];

    // Act: before, the last column's heading ends beyond the scroll box; then scroll until the cue says no more.
    const [box] = await boxes(page, '.table-wrap');
    const before = await lastHeading();
    /** Whether columns remain beyond the right edge, by the box's own geometry. */
    const hiddenAfter = () =>
      wrap.evaluate((element) => element.scrollLeft + element.clientWidth < element.scrollWidth - 1);
    for (let step = 0; step < 10; step++) {
      // The cue follows the scroll position once the scroll event has been handled.
      await expect.poll(async () => (await more.isEnabled()) === (await hiddenAfter())).toBe(true);
      if (!(await hiddenAfter())) break;
      await more.click();
    }

    // Assess: the edge was shaded while columns were hidden beyond it, and the whole last column is reachable.
    expect(box).toBeDefined();
    expect(before?.right).toBeGreaterThan(box?.right ?? 0);
    await expect.poll(() => more.isEnabled()).toBe(false);
    const after = await lastHeading();
    expect(after?.right).toBeLessThanOrEqual((box?.right ?? 0) + 1);
    expect(after?.left).toBeGreaterThanOrEqual(box?.left ?? 0);
    await expect(wrap.getAttribute('class')).resolves.toBe('table-wrap more-before');
    await expect(page.getByRole('button', { name: '← Columns' }).isEnabled()).resolves.toBe(true);
    // The pane's narrow column wraps the producer's ARN after a ':' or '/', never inside a word ("us" / "er").
    const wrappedInside = await page.locator('aside.pane dd[title^="arn:"]').evaluate((dd) => {
      const range = dd.ownerDocument.createRange();
      const lines = (node: (typeof dd)['firstChild']) => {
        range.selectNodeContents(node);
        return range.getClientRects().length;
      };
      return [...dd.childNodes]
        .filter((node) => node.nodeType === 3 && lines(node) > 1)
        .map((node) => node.textContent);
    });
    expect(wrappedInside).toEqual([]);
  });

  it('opens the toolbar menus inside the window, each column choice on one line', async () => {
    for (const width of [1280, 420]) {
      // Prepare
      const page = await openPage(`/console/?Username=${alice}&startTime=${startTime}`, { width });
      await page.locator('table.events tbody tr').first().waitFor();

      // Act
      await page.getByText('Copy query as', { exact: true }).click();
      const [snippets] = await boxes(page, '.menu[open] .snippets');
      await page.getByText('Copy query as', { exact: true }).click();
      await page.getByText('Columns', { exact: true }).click();
      const choices = await boxes(page, '.menu[open] fieldset label');

      // Assess: the snippets hung from the summary's right edge and started left of the window (x < 0).
      expect(snippets?.left, `${width} px`).toBeGreaterThanOrEqual(0);
      expect(snippets?.right, `${width} px`).toBeLessThanOrEqual(width);
      expect(choices).toHaveLength(12);
      for (const choice of choices) {
        expect(choice.right, `${width} px`).toBeLessThanOrEqual(width);
        expect(choice.bottom - choice.top, `${width} px`).toBeLessThan(28);
      }
    }
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
    // A phone-wide window shows each event as a card: every value inside the viewport, each with its label, and
    // nothing to scroll sideways.
    const cells = await boxes(page, 'table.events tbody td');
    expect(cells).toHaveLength(2 * 5);
    for (const cell of cells) {
      expect(cell.left).toBeGreaterThanOrEqual(0);
      expect(cell.right).toBeLessThanOrEqual(420);
    }
    const labels = await page
      .locator('table.events tbody tr:first-child td')
      .evaluateAll((tds) =>
        tds.map((td) => td.ownerDocument.defaultView.getComputedStyle(td, '::before').content),
      );
    expect(labels).toEqual([
      '"Event time"',
      '"User name"',
      '"Event name"',
      '"Resource type"',
      '"Resource name"',
    ]);
    expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(420);
    await expect(page.locator('.scroll-cue').count()).resolves.toBe(0);
    // The histogram draws both events' bucket at the right end (they are the newest, just put): standing on the zero
    // line, kept off the frame's rounded edge (a bar flush with it read as a scrollbar), its count labelled.
    const [plot] = await boxes(page, 'figure.histogram svg');
    const [zeroLine] = await boxes(page, 'figure.histogram line.zero');
    const bars = await boxes(page, 'figure.histogram rect');
    expect(bars.length).toBeGreaterThanOrEqual(1);
    for (const bar of bars) {
      expect(bar.left).toBeGreaterThanOrEqual((plot?.left ?? Number.POSITIVE_INFINITY) + 2);
      expect(bar.right).toBeLessThanOrEqual((plot?.right ?? 0) - 2);
      expect(bar.top).toBeGreaterThan(plot?.top ?? Number.POSITIVE_INFINITY);
      expect(Math.abs(bar.bottom - (zeroLine?.top ?? 0))).toBeLessThan(1);
      // Fewer, wider buckets on a narrow plot (30 s here, not 15 s): a bar is a bar, not a hairline.
      expect(bar.right - bar.left).toBeGreaterThanOrEqual(7);
    }
    // Two events: one bar of 2, or two of 1 when a bucket boundary fell between the puts.
    const scale = await page.locator('figure.histogram .tick.full').textContent();
    expect(bars.length === 1 ? '2' : '1').toBe(scale);
    await expect(page.locator('figure.histogram figcaption').textContent()).resolves.toContain(
      `highest ${scale};`,
    );
    expect(bars.at(-1)?.right).toBeGreaterThan(
      (plot?.right ?? 0) - 0.1 * ((plot?.right ?? 0) - (plot?.left ?? 0)),
    );
    // A tap on an event's time opens its detail over the whole window, whatever the list's scroll; closing it
    // (Escape, or Close) goes back to the list where it was.
    await page.mouse.wheel(0, 400);
    await expect.poll(() => page.locator('html').evaluate((html) => html.scrollTop)).toBeGreaterThan(0);
    const scrolled = await page.locator('html').evaluate((html) => html.scrollTop);
    await page.locator('table.events tbody tr td:first-child a').last().click();
    await page.locator('aside.pane pre.json').waitFor();
    expect((await boxes(page, 'aside.pane'))[0]).toEqual({ left: 0, right: 420, top: 0, bottom: 900 });
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toBe('Event detail');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('aside.pane').count()).toBe(0);
    const opener = await page.locator('table.events tbody tr td:first-child a').last().getAttribute('href');
    await expect.poll(() => page.locator(':focus').getAttribute('href')).toBe(opener);
    await expect(page.locator('html').evaluate((html) => html.scrollTop)).resolves.toBe(scrolled);
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
    await expectReadableGraph(list);
    const [caption] = await boxes(list, '.attributions caption');
    const [heading] = await boxes(list, '.attributions thead');
    const captionText = await list.locator('.attributions caption').evaluate((element) => {
      const range = element.ownerDocument.createRange();
      range.selectNodeContents(element);
      return range.getBoundingClientRect().left;
    });
    expect(caption?.bottom).toBeLessThanOrEqual(heading?.top ?? 0);
    expect(captionText - (heading?.left ?? 0)).toBeLessThan(12);
    // The address opens the same page directly (local mode's front answers index.html for it).
    const direct = await openPage(insightPath, { dark: true });
    await direct.locator('figure.series path.actual').waitFor();
    expect(await direct.locator('figure.series path.actual').getAttribute('d')).toBe(geometry.actual);
    await expectReadableGraph(direct);
    await direct.screenshot({ path: join(SCREENSHOTS, 'insight-graph-dark.png'), fullPage: true });
    // A phone-wide window: the list and the insight's page fit it, their rows as labelled cards.
    for (const path of ['/console/insights', insightPath]) {
      const narrow = await openPage(path, { width: 420 });
      await narrow.locator('table.events tbody td').first().waitFor();
      const cells = await boxes(narrow, 'table.events tbody td');
      expect(cells.length, path).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.right, path).toBeLessThanOrEqual(420);
      const labels = await narrow
        .locator('table.events tbody tr:first-child td')
        .evaluateAll((tds) =>
          tds.map((td) => td.ownerDocument.defaultView.getComputedStyle(td, '::before').content),
        );
      expect(labels[0], path).toBe(path === insightPath ? '"Value"' : '"State"');
      expect(await narrow.locator('html').evaluate((html) => html.scrollWidth), path).toBeLessThanOrEqual(
        420,
      );
    }
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
