// Vitest global setup for browser tests: builds the app when dist/ is missing or stale.
import { fileURLToPath } from 'node:url';
import { buildApp, isAppBuildStale } from '../../server/setup/app-build';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default async function setup(): Promise<void> {
  if (isAppBuildStale(ROOT)) await buildApp(ROOT);
}
