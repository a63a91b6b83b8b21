// The app factory: one Fastify instance with problem-details errors, /health, the built viewer and tilesets.
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCompress from '@fastify/compress';
import type { PlazaConfig } from '../config';
import { ApiError, sendProblem, toProblem } from './errors';
import { HealthRegistry } from './health';
import { tilesetCacheControl } from './tileset-cache';
import type { PlazaModule } from './module';
import { PLAZA_VERSION } from './version';

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** Subsystems to mount, in order. */
  modules?: PlazaModule[];
  /** Pino logger options, or false for none (tests). Default: config.logLevel. */
  logger?: boolean;
}

/** Seconds that immutable content (hashed app assets, tile content) may be cached. */
const LONG_CACHE_SECONDS = 31_536_000;

/**
 * Builds Plaza's HTTP server without listening.
 * @param config - the parsed configuration
 * @param options - subsystems and logging
 */
export async function createApp(
  config: PlazaConfig,
  options: CreateAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: 8 * 1024 * 1024,
    // Keep-alive connections must not hold up a graceful shutdown.
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
  });
  const health = new HealthRegistry();
  const modules = options.modules ?? [];

  // 'idle' closes the connections that are idle when closing starts; one whose request is still in flight (Plaza's
  // own NGSI-LD client calling this server, a browser) would otherwise stay open after its answer, kept alive by the
  // client for up to a minute, and hold up close() that long. Answers sent while closing end their connection.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing && !reply.raw.headersSent) reply.header('connection', 'close');
    done(null, payload);
  });
  // An answer that was already under way when closing started (a stream the client cancelled, say) leaves its
  // connection idle only once it ends: close it then.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new ApiError(404, `no resource at ${request.method} ${request.url.split('?')[0]}`, {
        code: 'NotFound',
      }).toProblem(request.url),
    ),
  );

  await app.register(fastifyCompress, { global: true, threshold: 1024 });

  app.get('/health', async () => {
    const report = await health.report();
    return { name: 'plaza', version: PLAZA_VERSION, status: report.status, subsystems: report.subsystems };
  });

  registerViewer(app, config, health);
  registerTilesets(app, config, health);

  for (const module of modules) {
    await app.register(async (scope) => module.register(scope, { config, health }));
  }
  app.addHook('onClose', async () => {
    for (const module of [...modules].reverse()) await module.close?.();
  });
  return app;
}

function registerViewer(app: FastifyInstance, config: PlazaConfig, health: HealthRegistry): void {
  const indexFile = join(config.appDirectory, 'index.html');
  health.register('viewer', () =>
    existsSync(indexFile)
      ? { status: 'ok' }
      : { status: 'down', detail: `the viewer is not built (${indexFile} is missing); run npm run build` },
  );
  void app.register(fastifyStatic, {
    root: config.appDirectory,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    setHeaders(reply, path) {
      reply.header(
        'Cache-Control',
        path.includes('/assets/') ? `public, max-age=${LONG_CACHE_SECONDS}, immutable` : 'no-cache',
      );
    },
  });
}

function registerTilesets(app: FastifyInstance, config: PlazaConfig, health: HealthRegistry): void {
  health.register('tilesets', () =>
    existsSync(config.tilesetsDirectory)
      ? { status: 'ok', detail: config.tilesetsDirectory }
      : { status: 'degraded', detail: `no tilesets folder at ${config.tilesetsDirectory}` },
  );
  void app.register(fastifyStatic, {
    root: config.tilesetsDirectory,
    prefix: '/tiles/',
    decorateReply: false,
    wildcard: true,
    index: false,
    setHeaders(reply, path) {
      reply.header('Access-Control-Allow-Origin', '*');
      // The same rule as the 3D GeoVolumes route: content is cached for good only under the tileset's current
      // version (`?v=`), since a new conversion replaces files under the same names.
      const folder = relative(config.tilesetsDirectory, path).split(sep)[0];
      reply.header(
        'Cache-Control',
        tilesetCacheControl(
          path,
          (reply.request.query as { v?: unknown } | undefined)?.v,
          join(config.tilesetsDirectory, folder),
        ),
      );
      if (path.endsWith('.glb')) reply.header('Content-Type', 'model/gltf-binary');
      if (path.endsWith('.subtree')) reply.header('Content-Type', 'application/octet-stream');
    },
  });
}
