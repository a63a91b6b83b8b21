import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import { startPlaza, type RunningPlaza } from '../../server/start';
import { describeRegion, launchBrowser, openWatchedPage, takeScreenshot } from './browser';

let plaza: RunningPlaza;
let browser: Browser;

beforeAll(async () => {
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'plaza-e2e-')),
    // No tileset: the viewer then shows the whole globe instead of flying to a twin.
    TILESETS_DIR: mkdtempSync(join(tmpdir(), 'plaza-e2e-tilesets-')),
    PLAZA_SIMULATOR: 'off',
    LOG_LEVEL: 'warn',
  });
  plaza = await startPlaza(config, { logger: false });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await plaza?.close();
});

describe('the viewer', () => {
  it('draws a textured globe offline, with no console errors and no request leaving localhost', async () => {
    const { page, watch } = await openWatchedPage(browser, { width: 800, height: 600 });
    await page.goto(`${plaza.url}/`);
    await page.waitForSelector('html[data-globe-ready="true"]', { timeout: 120_000 });
    await expect.poll(() => page.getByRole('button', { name: /All systems up|Degraded/ }).count()).toBe(1);
    const png = await takeScreenshot(page, 'globe');

    const canvas = (await page.locator('.cesium-widget canvas').boundingBox())!;
    const top = Math.ceil(canvas.y);
    // The camera looks down on Europe from 9,000 km: the globe fills the centre, space shows in the corners.
    const centre = describeRegion(
      png,
      Math.round(canvas.x + canvas.width / 2 - 80),
      Math.round(canvas.y + canvas.height / 2 - 60),
      160,
      120,
    );
    expect(centre.darkShare).toBeLessThan(0.05);
    expect(centre.blueShare).toBeGreaterThan(0.1);
    expect(centre.colourBuckets).toBeGreaterThan(12);
    const corner = describeRegion(png, Math.ceil(canvas.x) + 2, top + 10, 40, 40);
    expect(corner.darkShare).toBeGreaterThan(0.9);

    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
  });

  it('fits a phone-sized screen', async () => {
    const { page, watch } = await openWatchedPage(browser, { width: 390, height: 844 });
    await page.goto(`${plaza.url}/`);
    await page.waitForSelector('html[data-globe-ready="true"]', { timeout: 120_000 });
    const png = await takeScreenshot(page, 'globe-phone');
    const header = (await page.locator('header').boundingBox())!;
    expect(header.width).toBeLessThanOrEqual(390);
    const centre = describeRegion(png, 145, 380, 100, 100);
    expect(centre.darkShare).toBeLessThan(0.05);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });
});
