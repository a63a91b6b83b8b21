// The viewer as planners, operators and citizens use it: the demo twin, picking, styling, live sensors, charts, URL
// state, roles, added services and a phone screen, against the real server in headless Chromium.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import { startPlaza, type RunningPlaza } from '../../server/start';
import { ensureDemoTwin } from '../../server/demo/ensure-demo-twin';
import { tilesetVersion } from '../../server/http/tileset-cache';
import { createDemoDistrict } from '../../server/demo/city';
import { launchBrowser, openWatchedPage, pixelAt, takeScreenshot, type PageWatch } from './browser';

// The demo's default size: the server's demo layers (footprints, addresses) describe the same district.
const BUILDINGS = 2400;
const TOKEN = 'e2e-internal-token';
const root = mkdtempSync(join(tmpdir(), 'plaza-viewer-'));
const tilesetsDirectory = join(root, 'tilesets');
let plaza: RunningPlaza;
let browser: Browser;
let centre: { longitude: number; latitude: number };

/** Straight down over the district centre, close enough to see single buildings. */
function cameraParameter(height = 450): string {
  return `${centre.longitude.toFixed(6)},${centre.latitude.toFixed(6)},${height},0,-90`;
}

async function open(
  query: string,
  viewport = { width: 1000, height: 700 },
  ready = 'html[data-tileset-demo-city="ready"]',
): Promise<{ page: Page; watch: PageWatch }> {
  const opened = await openWatchedPage(browser, viewport);
  await opened.page.goto(`${plaza.url}/?${query}`);
  await opened.page.waitForSelector(ready, {
    state: 'attached',
    timeout: 150_000,
  });
  // Let the last tiles and primitives draw.
  await opened.page.waitForTimeout(1500);
  return opened;
}

async function canvasBox(page: Page) {
  const box = await page.locator('.cesium-widget canvas').boundingBox();
  if (!box) throw new Error('no canvas');
  return box;
}

/** Share of pixels in the canvas area that differ clearly between two screenshots. */
function changedShare(a: PNG, b: PNG, box: { x: number; y: number; width: number; height: number }): number {
  let changed = 0;
  let total = 0;
  for (let y = Math.ceil(box.y) + 5; y < box.y + box.height - 5; y += 3) {
    for (let x = Math.ceil(box.x) + 5; x < box.x + box.width - 5; x += 3) {
      const [r1, g1, b1] = pixelAt(a, x, y);
      const [r2, g2, b2] = pixelAt(b, x, y);
      if (Math.abs(r1 - r2) + Math.abs(g1 - g2) + Math.abs(b1 - b2) > 60) changed++;
      total++;
    }
  }
  return changed / total;
}

function colourDistance([r1, g1, b1]: number[], hex: string): number {
  const value = Number.parseInt(hex.slice(1), 16);
  return Math.abs(r1 - (value >> 16)) + Math.abs(g1 - ((value >> 8) & 255)) + Math.abs(b1 - (value & 255));
}

/** The colour closest to `hex` within a few pixels of (x, y): points are small and anti-aliased. */
function nearestColourDistance(png: PNG, x: number, y: number, hex: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let dy = -4; dy <= 4; dy++) {
    for (let dx = -4; dx <= 4; dx++)
      best = Math.min(best, colourDistance(pixelAt(png, Math.round(x + dx), Math.round(y + dy)), hex));
  }
  return best;
}

async function brokerRequest(path: string, init: RequestInit): Promise<Response> {
  const response = await fetch(`${plaza.url}/ngsi-ld/v1${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
  if (response.status >= 300)
    throw new Error(`${init.method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

beforeAll(async () => {
  await ensureDemoTwin({ tilesetsDirectory, buildingCount: BUILDINGS });
  const index = JSON.parse(readFileSync(join(tilesetsDirectory, 'demo-city', 'ids.json'), 'utf8')) as {
    features: Record<string, { region: number[] }>;
  };
  const regions = Object.values(index.features).map((feature) => feature.region);
  const west = Math.min(...regions.map((region) => region[0]));
  const east = Math.max(...regions.map((region) => region[2]));
  const south = Math.min(...regions.map((region) => region[1]));
  const north = Math.max(...regions.map((region) => region[3]));
  centre = { longitude: (west + east) / 2, latitude: (south + north) / 2 };

  const internalLayer = join(root, 'internal.geojson');
  writeFileSync(
    internalLayer,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: 'works-1',
          properties: { name: 'Water main renewal' },
          geometry: { type: 'Point', coordinates: [centre.longitude, centre.latitude] },
        },
      ],
    }),
  );
  const collectionsFile = join(root, 'collections.json');
  writeFileSync(
    collectionsFile,
    JSON.stringify({
      collections: [
        {
          id: 'street-works',
          title: 'Street works (internal)',
          visibility: 'internal',
          provider: { type: 'geojson', path: internalLayer },
        },
      ],
    }),
  );
  plaza = await startPlaza(
    parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(root, 'data'),
      TILESETS_DIR: tilesetsDirectory,
      PLAZA_SIMULATOR: 'off',
      PLAZA_COLLECTIONS: collectionsFile,
      PLAZA_INTERNAL_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    }),
    { logger: false },
  );
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await plaza?.close();
});

describe('the viewer', () => {
  it('draws the demo twin: the view changes where the buildings are when the layer is shown', async () => {
    // A hidden tileset loads no tiles: wait for the globe instead.
    const hidden = await open(
      `camera=${cameraParameter()}&layers=demo-city~0`,
      undefined,
      'html[data-globe-ready="true"]',
    );
    const box = await canvasBox(hidden.page);
    const without = await takeScreenshot(hidden.page, 'twin-hidden');
    await hidden.page.close();
    const shown = await open(`camera=${cameraParameter()}&layers=demo-city~1`);
    const withTwin = await takeScreenshot(shown.page, 'twin');
    expect(changedShare(without, withTwin, box)).toBeGreaterThan(0.15);
    // Tiles are asked for under the tileset's current version, the only URLs the server lets browsers keep for good.
    const version = tilesetVersion(join(tilesetsDirectory, 'demo-city'));
    expect(shown.watch.tileRequests.length).toBeGreaterThan(0);
    for (const url of shown.watch.tileRequests) expect(new URL(url).searchParams.get('v')).toBe(version);
    expect(shown.watch.foreignRequests).toEqual([]);
    expect(shown.watch.pageErrors).toEqual([]);
    await shown.page.close();
  });

  it("shows a clicked building's persistent id and attributes, the same as the city model holds", async () => {
    const { page, watch } = await open(`camera=${cameraParameter()}`);
    const box = await canvasBox(page);
    // Buildings cover much of the view from above; try points around the centre until one is hit.
    for (let attempt = 0; attempt < 25; attempt++) {
      const x = box.x + box.width * (0.3 + 0.1 * (attempt % 5));
      const y = box.y + box.height * (0.3 + 0.1 * Math.floor(attempt / 5));
      await page.mouse.click(x, y);
      if (
        await page
          .getByRole('heading', { name: 'Building' })
          .isVisible({ timeout: 1500 })
          .catch(() => false)
      )
        break;
    }
    const id = (await page.getByTestId('selected-id').textContent())?.trim() ?? '';
    expect(id).toMatch(/^bldg-\d{6}$/);
    const building = createDemoDistrict({ buildingCount: BUILDINGS }).buildings.find(
      (candidate) => candidate.id === id,
    );
    expect(building).toBeDefined();
    const inspector = page.locator('.inspector');
    await expect.poll(() => inspector.locator('dt', { hasText: /^Measured height$/ }).count()).toBe(1);
    const height = await inspector.locator('dt:has-text("Measured height") + dd').textContent();
    expect(Number(height)).toBeCloseTo(building!.measuredHeight, 1);
    const year = await inspector.locator('dt:has-text("Year of construction") + dd').textContent();
    expect(Number(year)).toBe(building!.yearOfConstruction);
    await takeScreenshot(page, 'twin-picked');
    expect(page.url()).toContain(`selected=${id}`);
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it('recolours the buildings by height, with a legend, and keeps the choice over a reload', async () => {
    const { page } = await open(`camera=${cameraParameter()}`);
    const box = await canvasBox(page);
    const plain = await takeScreenshot(page, 'style-plain');
    await page.getByLabel('Colour by').selectOption('height');
    await expect
      .poll(() => page.getByRole('list', { name: 'Legend: Measured height' }).isVisible())
      .toBe(true);
    await page.waitForTimeout(2500);
    const byHeight = await takeScreenshot(page, 'style-height');
    expect(changedShare(plain, byHeight, box)).toBeGreaterThan(0.05);
    await expect.poll(() => page.url()).toContain('height');
    await page.reload();
    await page.waitForSelector('html[data-tileset-demo-city="ready"]', {
      state: 'attached',
      timeout: 150_000,
    });
    expect(await page.getByLabel('Colour by').inputValue()).toBe('height');
    expect(page.url()).toContain(`camera=${encodeURIComponent(cameraParameter()).slice(0, 20)}`);
    await page.close();
  });

  it('draws a live sensor, recolours it after a broker update, and charts its history', async () => {
    const id = 'urn:ngsi-ld:AirQualityObserved:e2e-1';
    const now = Date.now();
    const observation = (no2: number, time: number) => ({
      no2: { type: 'Property', value: no2, unitCode: 'GQ', observedAt: new Date(time).toISOString() },
    });
    await brokerRequest('/entities', {
      method: 'POST',
      body: JSON.stringify({
        id,
        type: 'AirQualityObserved',
        name: { type: 'Property', value: '<img src=x onerror="window.__plazaXss=1">Station' },
        location: {
          type: 'GeoProperty',
          value: { type: 'Point', coordinates: [centre.longitude, centre.latitude] },
        },
        ...observation(20, now - 5 * 60_000),
      }),
    });
    const { page, watch } = await open(`camera=${cameraParameter(350)}`);
    await expect
      .poll(() => page.getByTestId('live-connection').textContent(), { timeout: 30_000 })
      .toMatch(/^Live/);
    const box = await canvasBox(page);
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    // NO2 20 µg/m³ is 'good' in the European AQI: #50f0e6.
    await expect
      .poll(async () => nearestColourDistance(await takeScreenshot(page, 'live-good'), cx, cy, '#50f0e6'), {
        timeout: 30_000,
      })
      .toBeLessThan(60);
    await brokerRequest(`/entities/${encodeURIComponent(id)}/attrs`, {
      method: 'PATCH',
      body: JSON.stringify(observation(150, now)),
    });
    // 150 µg/m³ is 'poor': #ff5050.
    await expect
      .poll(async () => nearestColourDistance(await takeScreenshot(page, 'live-poor'), cx, cy, '#ff5050'), {
        timeout: 30_000,
      })
      .toBeLessThan(60);

    await page.mouse.click(cx, cy);
    await expect.poll(() => page.getByTestId('selected-id').textContent()).toBe(id);
    await expect
      .poll(() => page.locator('[data-testid="chart"] path').getAttribute('d'), { timeout: 20_000 })
      .toMatch(/^M[\d.]+,[\d.]+L/);
    // Markup inside a value is text, never executed.
    await expect.poll(() => page.locator('.inspector').textContent()).toContain('<img src=x onerror=');
    expect(
      await page.evaluate(() => (window as unknown as { __plazaXss?: number }).__plazaXss),
    ).toBeUndefined();
    await takeScreenshot(page, 'live-chart');
    expect(watch.pageErrors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });

  it('shows internal layers to a planner with the token and hides them from citizens', async () => {
    const { page } = await open(`camera=${cameraParameter()}`);
    // Every control is reachable by keyboard, with a label: tab from the top and see what takes focus.
    const reached = new Set<string>();
    for (let step = 0; step < 12; step++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(() => {
          const element = document.activeElement as HTMLElement | null;
          if (!element) return '';
          const label =
            element.getAttribute('aria-label') ||
            (element as HTMLInputElement).labels?.[0]?.textContent ||
            element.textContent ||
            element.getAttribute('title') ||
            '';
          return `${element.tagName.toLowerCase()}:${label.trim()}`;
        }),
      );
    }
    expect(reached).toContain('input:Search buildings, addresses, sensors');
    expect(reached).toContain('select:View as');
    expect([...reached].some((entry) => entry.startsWith('input:demo-city'))).toBe(true);
    expect([...reached].filter((entry) => entry.endsWith(':'))).toEqual([]);
    await page.getByLabel('Access token for internal layers').fill(TOKEN);
    await page.getByRole('button', { name: 'Use' }).click();
    await expect.poll(() => page.getByText('Street works (internal)').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('View as').selectOption('citizen');
    await expect.poll(() => page.getByText('Street works (internal)').count(), { timeout: 20_000 }).toBe(0);
    expect(await page.getByLabel('Access token for internal layers').count()).toBe(0);
    await expect.poll(() => page.url()).toContain('role=citizen');
    await page.close();
  });

  it('adds an OGC API service by URL and draws its layers; a URL that is not a service gets a clear message', async () => {
    const { page, watch } = await open(`camera=${cameraParameter(1200)}`);
    const box = await canvasBox(page);
    await page.getByLabel('URL of an OGC API, WMS or WMTS').fill(`${plaza.url}/health`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect
      .poll(() => page.locator('.add .message').textContent(), { timeout: 40_000 })
      .toMatch(/no usable service/);
    const before = await takeScreenshot(page, 'service-before');
    await page.getByLabel('URL of an OGC API, WMS or WMTS').fill(`${plaza.url}/ogc`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect
      .poll(() => page.locator('.add .message').textContent(), { timeout: 40_000 })
      .toMatch(/^Added \d+ layers/);
    await page.waitForTimeout(4000);
    const after = await takeScreenshot(page, 'service-added');
    expect(changedShare(before, after, box)).toBeGreaterThan(0.05);
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it('drapes the deck.gl aggregation in register with the globe, and raises operator alerts', async () => {
    // Two loud sensors, 300 m east and 200 m north of the centre and the mirror image: a flipped or shifted overlay
    // lands far from where they are.
    const metresPerDegreeLatitude = 111_320;
    const metresPerDegreeLongitude = metresPerDegreeLatitude * Math.cos((centre.latitude * Math.PI) / 180);
    const offsets: Array<[number, number]> = [
      [300, 200],
      [-300, -200],
    ];
    for (const [index, [east, north]] of offsets.entries()) {
      await brokerRequest('/entities', {
        method: 'POST',
        body: JSON.stringify({
          id: `urn:ngsi-ld:NoiseLevelObserved:e2e-${index}`,
          type: 'NoiseLevelObserved',
          name: { type: 'Property', value: `Noise e2e ${index}` },
          location: {
            type: 'GeoProperty',
            value: {
              type: 'Point',
              coordinates: [
                centre.longitude + east / metresPerDegreeLongitude,
                centre.latitude + north / metresPerDegreeLatitude,
              ],
            },
          },
          LAeq: { type: 'Property', value: 80, unitCode: '2N', observedAt: new Date().toISOString() },
        }),
      });
    }
    const height = 1200;
    const { page, watch } = await open(
      `role=operator&camera=${cameraParameter(height)}&layers=demo-city~0&overlay=NoiseLevelObserved.LAeq&hide=NoiseLevelObserved,AirQualityObserved`,
      undefined,
      'html[data-overlay-ready="NoiseLevelObserved.LAeq"]',
    );
    const box = await canvasBox(page);
    const centreX = box.x + box.width / 2;
    const centreY = box.y + box.height / 2;
    // Cesium's 60° field of view spans the wider side of the canvas; the camera looks straight down from `height`.
    const pixelsPerMetre = Math.max(box.width, box.height) / 2 / (height * Math.tan(Math.PI / 6));
    const overlayRed = (png: PNG) => {
      const sides = [
        { x: 0, y: 0, count: 0 },
        { x: 0, y: 0, count: 0 },
      ];
      for (let y = Math.ceil(box.y); y < box.y + box.height - 1; y += 2) {
        for (let x = Math.ceil(box.x); x < box.x + box.width - 1; x += 2) {
          const [r, g, b] = pixelAt(png, x, y);
          if (r > g + 50 && r > b + 60) {
            const side = sides[x >= centreX ? 0 : 1];
            side.x += x;
            side.y += y;
            side.count++;
          }
        }
      }
      return sides;
    };
    let sides = overlayRed(await takeScreenshot(page, 'overlay'));
    await expect
      .poll(
        async () => {
          sides = overlayRed(await takeScreenshot(page, 'overlay'));
          return Math.min(sides[0].count, sides[1].count);
        },
        { timeout: 60_000 },
      )
      .toBeGreaterThan(50);
    // Hexagons are binned on a grid of 90 m radius: a sensor's hexagon centre lies within that radius of it.
    const tolerance = 90 * pixelsPerMetre + 6;
    for (const [index, [east, north]] of offsets.entries()) {
      const side = sides[index];
      const expectedX = centreX + east * pixelsPerMetre;
      const expectedY = centreY - north * pixelsPerMetre;
      expect(Math.hypot(side.x / side.count - expectedX, side.y / side.count - expectedY)).toBeLessThan(
        tolerance,
      );
    }

    await page.getByLabel('Alert sensor type').selectOption('NoiseLevelObserved');
    await page.getByLabel('Alert value').selectOption('LAeq');
    await page.getByLabel('Threshold').fill('70');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await expect
      .poll(() => page.getByTestId('alert-log').textContent(), { timeout: 20_000 })
      .toContain('Noise e2e 0');
    expect(await page.getByTestId('alert-log').textContent()).toContain('Noise e2e 1');
    await takeScreenshot(page, 'alerts');
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });

  it('finds a building by its address and selects it', async () => {
    const building = createDemoDistrict({ buildingCount: BUILDINGS }).buildings[7];
    const { page } = await open(`camera=${cameraParameter(900)}`);
    await page
      .getByRole('combobox', { name: 'Search buildings, addresses, sensors' })
      .fill(`${building.address.street} ${building.address.houseNumber}`);
    await expect
      .poll(() => page.getByRole('listbox', { name: 'Search results' }).getByRole('option').count(), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(() =>
        page.getByRole('listbox', { name: 'Search results' }).getByRole('option').first().textContent(),
      )
      .toContain(building.id);
    await page.getByRole('combobox', { name: 'Search buildings, addresses, sensors' }).press('Enter');
    await expect
      .poll(() => page.getByTestId('selected-id').textContent(), { timeout: 60_000 })
      .toBe(building.id);
    await page.close();
  });

  it('fits a phone screen for citizens: no sideways scrolling, the panel opens and closes', async () => {
    const { page, watch } = await open(`role=citizen&camera=${cameraParameter(700)}`, {
      width: 390,
      height: 844,
    });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const toggle = page.getByRole('button', { name: 'Layers panel' });
    if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
    await takeScreenshot(page, 'phone-citizen');
    await toggle.click();
    await expect.poll(() => page.getByRole('heading', { name: 'Layers' }).isVisible()).toBe(true);
    await takeScreenshot(page, 'phone-citizen-panel');
    expect(watch.pageErrors).toEqual([]);
    await page.close();
  });
});
