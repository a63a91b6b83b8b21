// The live relay as a Plaza module: GET /live (Server-Sent Events), POST /live/notifications/:key (the broker's
// notifications for subscriptions this server made), GET /links (entity <-> building links), and its health.
import type { FastifyInstance } from 'fastify';
import type { PlazaConfig } from '../config';
import { ApiError, badRequest } from '../http/errors';
import type { PlazaModule } from '../http/module';
import { NgsiLdClient, NgsiLdClientError } from '../ngsi-ld/client';
import { brokerConnection } from '../ngsi-ld/client/from-config';
import { readNotificationItems } from './live-entity';
import { LinkService, type LinkServiceOptions } from './links';
import { readLinksRequest, readLiveRequest } from './parameters';
import { LiveRelay, type LiveRelayOptions } from './relay';

/** The path of the notification route; a feed's secret key follows. */
export const NOTIFICATION_PATH = '/live/notifications/';

/** Options of {@link createLiveModule} beyond the configuration (tests, benchmarks). */
export interface LiveModuleOptions {
  /** Relay timings and limits (defaults in LiveRelayOptions; intervals default to the configuration's). */
  relay?: Partial<
    Pick<
      LiveRelayOptions,
      | 'checkIntervalMs'
      | 'pollIntervalMs'
      | 'retryIntervalMs'
      | 'flushIntervalMs'
      | 'replayEvents'
      | 'maxClientBufferBytes'
      | 'stallTimeoutMs'
      | 'heartbeatIntervalMs'
      | 'lingerMs'
      | 'maxFeeds'
    >
  >;
  /** Milliseconds one broker call may take (default 5000). */
  brokerTimeoutMs?: number;
  links?: LinkServiceOptions;
}

/** The live relay module; `relay()` exposes the running relay (after start) to tests and benchmarks. */
export function createLiveModule(
  config: PlazaConfig,
  options: LiveModuleOptions = {},
): PlazaModule & { relay(): LiveRelay | undefined } {
  let relay: LiveRelay | undefined;
  let links: LinkService | undefined;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= relay?.close() ?? Promise.resolve());

  const notStarted = () =>
    new ApiError(503, 'the live relay starts once the server listens; try again in a moment');

  return {
    name: 'live',
    register(app: FastifyInstance, { health }) {
      app.addContentTypeParser(
        ['application/ld+json', 'application/geo+json'],
        { parseAs: 'string' },
        (_request, text, done) => {
          try {
            done(null, JSON.parse(String(text)));
          } catch (error) {
            done(badRequest(`the body is not valid JSON: ${(error as Error).message}`), undefined);
          }
        },
      );
      // Open event streams would keep the server from closing: end them before it stops listening.
      app.addHook('preClose', async () => {
        await close();
      });

      health.register('live', () => {
        if (!relay) return { status: 'degraded', detail: 'the live relay has not started' };
        const feeds = [...relay.feeds.values()];
        const troubled = feeds.filter((feed) => feed.status.broker !== 'connected');
        const summary = `${feeds.length} feed(s), ${relay.clientCount} client(s), mode ${config.live.mode}`;
        return troubled.length
          ? { status: 'degraded', detail: `${summary}; ${troubled[0].status.detail}` }
          : { status: 'ok', detail: summary };
      });

      app.get('/live', async (request, reply) => {
        const header = request.headers['last-event-id'];
        const live = readLiveRequest(
          (request.query ?? {}) as Record<string, unknown>,
          Array.isArray(header) ? header[0] : header,
        );
        if (!relay) throw notStarted();
        // Before hijacking, so that a refusal is still answered as problem details.
        relay.feedFor(live.types);
        reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        relay.attachClient(reply.raw, live);
        return reply;
      });

      app.post<{ Params: { key: string } }>(`${NOTIFICATION_PATH}:key`, async (request, reply) => {
        if (!relay) throw notStarted();
        const body = request.body as { subscriptionId?: unknown; data?: unknown } | undefined;
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw badRequest('a notification must be a JSON object with subscriptionId and data');
        if (typeof body.subscriptionId !== 'string')
          throw badRequest('the notification has no subscriptionId');
        const items = readNotificationItems(body.data);
        if (!items)
          throw badRequest('the notification data must be an array of entities or a FeatureCollection');
        if (!relay.acceptNotification(request.params.key, body.subscriptionId, items)) {
          throw new ApiError(404, `no live subscription ${body.subscriptionId} is notified at this address`, {
            code: 'NotFound',
          });
        }
        return reply.code(204).send();
      });

      app.get('/links', async (request) => {
        const query = readLinksRequest((request.query ?? {}) as Record<string, unknown>);
        if (!links) throw notStarted();
        try {
          if (query.entity !== undefined) {
            const answer = await links.linksOfEntity(query.entity);
            if (!answer)
              throw new ApiError(404, `the broker has no entity '${query.entity}'`, { code: 'NotFound' });
            return answer;
          }
          const answer = await links.linksOfFeature(query.feature);
          if (!answer) {
            throw new ApiError(
              404,
              `no building '${query.feature}' in the footprints and no entity relates to it`,
              { code: 'NotFound' },
            );
          }
          return answer;
        } catch (error) {
          if (error instanceof NgsiLdClientError)
            throw new ApiError(502, `broker ${error.state}: ${error.message}`, { code: 'BrokerError' });
          throw error;
        }
      });
    },

    async start(baseUrl: string) {
      const broker = new NgsiLdClient({
        ...brokerConnection(config, baseUrl),
        timeoutMs: options.brokerTimeoutMs ?? 5000,
      });
      relay = new LiveRelay({
        broker,
        mode: config.live.mode,
        tenant: config.ngsiLd.tenant ?? '',
        notificationBaseUrl: `${config.live.notificationBaseUrl ?? baseUrl}${NOTIFICATION_PATH}`,
        checkIntervalMs: config.live.checkIntervalSeconds * 1000,
        pollIntervalMs: config.live.pollIntervalSeconds * 1000,
        ...options.relay,
      });
      links = new LinkService(config, broker, options.links);
      if (config.live.mode === 'subscription') {
        // Leftovers of an earlier run of this server notify keys that no longer exist; removing them is tidy, not
        // needed, so a broker that is down now does not delay the start.
        void relay.removeStaleSubscriptions().catch(() => undefined);
      }
    },

    async close() {
      await close();
    },

    relay: () => relay,
  };
}
