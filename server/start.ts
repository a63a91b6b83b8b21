// Starting and stopping Plaza: data folder checks, listening, and graceful shutdown. main.ts wires it to the process.
import { mkdirSync, accessSync, constants } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { PlazaConfig } from './config';
import { createApp } from './http/app';
import type { PlazaModule } from './http/module';
import { selectModules } from './modules';

/** A start-up failure a person can act on: printed as one line, exit code 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Makes sure the data folder exists and is writable.
 * @throws StartupError naming the folder and the reason
 */
export function ensureDataDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true });
    accessSync(directory, constants.W_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StartupError(
      `DATA_DIR ${directory} is not a writable folder (${reason}); set DATA_DIR to one that is`,
    );
  }
}

/** A running Plaza: its server and its public URL. */
export interface RunningPlaza {
  app: FastifyInstance;
  url: string;
  /** The mounted subsystems, in mounting order. */
  modules: PlazaModule[];
  close(): Promise<void>;
}

/**
 * Starts Plaza with a configuration: checks the data folder, mounts the configured subsystems, listens.
 * @throws StartupError when the data folder is unusable or the port is taken
 */
export async function startPlaza(
  config: PlazaConfig,
  options: { logger?: boolean } = {},
): Promise<RunningPlaza> {
  ensureDataDirectory(config.dataDirectory);
  const modules = await selectModules(config);
  const app = await createApp(config, { modules, logger: options.logger });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `port ${config.port} on ${config.host} is already in use; stop the other server or set PORT`,
      );
    }
    if (code === 'EACCES')
      throw new StartupError(`not allowed to listen on port ${config.port}; set PORT above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartupError(`HOST ${config.host} is not an address of this machine; set HOST`);
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  for (const module of modules) await module.start?.(url);
  return { app, url, modules, close: () => app.close() };
}
