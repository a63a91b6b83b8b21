// Headless Chromium for browser tests: Debian's /usr/bin/chromium through playwright-core, never a downloaded one.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

export const CHROMIUM_PATH = process.env.PLAZA_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

/** Launches headless Chromium with the flags that keep it off the network and on software WebGL. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

/** What a page did that a test must check: console errors, page errors, and requests that tried to leave localhost. */
export interface PageWatch {
  consoleErrors: string[];
  pageErrors: string[];
  foreignRequests: string[];
  /** Every glTF tile content URL the page asked for. */
  tileRequests: string[];
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Opens a page that fails every request to a host other than localhost (and records it), and records console and
 * page errors.
 */
export async function openWatchedPage(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 800, height: 600 },
): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // Software rendering on two cores makes first loads slow; a page that needs minutes is still a failure elsewhere.
  page.setDefaultNavigationTimeout(120_000);
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], foreignRequests: [], tileRequests: [] };
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.endsWith('.glb')) watch.tileRequests.push(url.href);
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname))
      return route.continue();
    watch.foreignRequests.push(url.href);
    return route.abort('blockedbyclient');
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watch.pageErrors.push(error.message));
  return { page, watch };
}

/** Saves a screenshot under test/artifacts/ (git-ignored) and returns its decoded pixels. */
export async function takeScreenshot(page: Page, name: string): Promise<PNG> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const buffer = await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  return PNG.sync.read(buffer);
}

/** The RGB colour of pixel (x, y). */
export function pixelAt(png: PNG, x: number, y: number): [number, number, number] {
  const offset = (png.width * y + x) * 4;
  return [png.data[offset], png.data[offset + 1], png.data[offset + 2]];
}

/** Statistics of a rectangle of pixels: share of dark pixels and how many coarse colour buckets occur. */
export function describeRegion(png: PNG, x0: number, y0: number, width: number, height: number) {
  let dark = 0;
  let blueish = 0;
  const buckets = new Set<number>();
  for (let y = y0; y < y0 + height; y++) {
    for (let x = x0; x < x0 + width; x++) {
      const [r, g, b] = pixelAt(png, x, y);
      if (r + g + b < 90) dark++;
      if (b > r + 15 && b > 60) blueish++;
      buckets.add(((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5));
    }
  }
  const count = width * height;
  return { darkShare: dark / count, blueShare: blueish / count, colourBuckets: buckets.size };
}
