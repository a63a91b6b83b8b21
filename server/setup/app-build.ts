// Knows whether the browser app's build is missing or older than its sources, and rebuilds it with Vite.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

/** Files and folders the built app depends on. */
const APP_SOURCES = [
  'src',
  'public',
  'index.html',
  'vite.config.ts',
  'svelte.config.js',
  'package-lock.json',
];

function newestModification(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestModification(join(path, entry)));
  return newest;
}

/** Whether `<root>/dist` is missing or older than any app source. */
export function isAppBuildStale(root: string, appDirectory = join(root, 'dist')): boolean {
  const index = join(appDirectory, 'index.html');
  if (!existsSync(index) || !existsSync(join(appDirectory, 'cesium', 'Workers'))) return true;
  const built = statSync(index).mtimeMs;
  return APP_SOURCES.some((source) => newestModification(join(root, source)) > built);
}

/** Builds the browser app into `<root>/dist` with the project's vite.config.ts. */
export async function buildApp(root: string): Promise<void> {
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}
