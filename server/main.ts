// Plaza's process entry: parse the environment, start the server, stop cleanly on SIGTERM/SIGINT.
import { ConfigError, parseConfig } from './config';
import { StartupError, startPlaza } from './start';

async function main(): Promise<void> {
  const config = parseConfig();
  const plaza = await startPlaza(config);
  plaza.app.log.info(`Plaza is serving at ${plaza.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    plaza.app.log.info(`${signal} received, shutting down`);
    // A hung close must not keep the process alive for ever.
    setTimeout(() => process.exit(1), 10_000).unref();
    plaza.close().then(
      () => process.exit(0),
      (error: unknown) => {
        plaza.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`plaza: ${error.message}\n`);
  } else {
    process.stderr.write(
      `plaza: could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
