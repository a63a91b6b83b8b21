// The contract between the app factory and Plaza's subsystems (broker, OGC API, live relay, ...).
import type { FastifyInstance } from 'fastify';
import type { PlazaConfig } from '../config';
import type { HealthRegistry } from './health';

/** What every subsystem receives when it registers. */
export interface PlazaModuleContext {
  config: PlazaConfig;
  health: HealthRegistry;
}

/**
 * A subsystem: registers its routes (a Fastify plugin scope), reports its health, and releases its resources on
 * shutdown. `start` runs after the server listens (for work that needs the server's own URL, like subscriptions).
 */
export interface PlazaModule {
  name: string;
  register(app: FastifyInstance, context: PlazaModuleContext): Promise<void> | void;
  start?(baseUrl: string): Promise<void> | void;
  close?(): Promise<void> | void;
}
