// Run by `npm start` before the server: builds whatever is missing (the browser app, the demo twin).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from '../config';
import { buildApp, isAppBuildStale } from './app-build';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function prepareStart(): Promise<void> {
  const config = parseConfig();
  // A custom APP_DIR holds an app built elsewhere; only the project's own dist/ is built here.
  if (config.appDirectory === join(ROOT, 'dist') && isAppBuildStale(ROOT)) {
    process.stdout.write('plaza: building the viewer (first start or changed sources)…\n');
    const started = Date.now();
    await buildApp(ROOT);
    process.stdout.write(`plaza: viewer built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

prepareStart().catch((error: unknown) => {
  process.stderr.write(
    `plaza: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
