// Run by `npm start` before the server: builds whatever is missing (the browser app, the demo twin).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from '../config';
import { ensureDemoTwin } from '../demo/ensure-demo-twin';
import { buildApp, isAppBuildStale } from './app-build';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function say(line: string): void {
  process.stdout.write(`plaza: ${line}\n`);
}

async function prepareStart(): Promise<void> {
  const config = parseConfig();
  // A custom APP_DIR holds an app built elsewhere; only the project's own dist/ is built here.
  if (config.appDirectory === join(ROOT, 'dist') && isAppBuildStale(ROOT)) {
    say('building the viewer (first start or changed sources)…');
    const started = Date.now();
    await buildApp(ROOT);
    say(`viewer built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  try {
    await ensureDemoTwin({ tilesetsDirectory: config.tilesetsDirectory, log: say });
  } catch (error) {
    // Plaza still serves everything else; the message says why the twin is missing.
    say(
      `the demo twin could not be built, serving without it: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

prepareStart().catch((error: unknown) => {
  process.stderr.write(
    `plaza: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
