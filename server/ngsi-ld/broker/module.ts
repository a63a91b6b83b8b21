// The embedded NGSI-LD broker as a Plaza module: storage in DATA_DIR/ngsi-ld, routes under /ngsi-ld/v1, health,
// history pruning, and an orderly shutdown (delivery counters written, databases closed).
import { join } from 'node:path';
import type { PlazaConfig } from '../../config';
import type { PlazaModule } from '../../http/module';
import { ContextResolver, type ContextResolverOptions } from '../context';
import { EntityService } from '../entities';
import { BrokerStore } from '../store';
import { SubscriptionService, type SubscriptionServiceOptions } from '../subscriptions';
import { brokerProfile } from '../profiles';
import { registerBrokerRoutes } from './routes';

/** Options of {@link createNgsiLdBrokerModule} beyond the configuration (tests, benchmarks). */
export interface NgsiLdBrokerOptions {
  /** @context handling: fixed documents for URLs (offline), fetch timeout. */
  contexts?: ContextResolverOptions;
  /** Notification delivery: timeout, attempts, backoff. */
  notifications?: SubscriptionServiceOptions;
  /** Folder of the databases (default `<dataDirectory>/ngsi-ld`). */
  directory?: string;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Default `limit` of queries (default 20). */
  defaultLimit?: number;
}

/** The prefix the broker serves under. */
export const NGSI_LD_BASE_PATH = '/ngsi-ld/v1';

/**
 * Creates the embedded broker module.
 * @param config - Plaza's configuration (dataDirectory, broker.historyRetentionDays, broker.maxLimit)
 */
export function createNgsiLdBrokerModule(
  config: PlazaConfig,
  options: NgsiLdBrokerOptions = {},
): PlazaModule & {
  /** The broker's services, for in-process users (simulator, benchmarks). Available after register. */
  services():
    { entities: EntityService; subscriptions: SubscriptionService; contexts: ContextResolver } | undefined;
} {
  let store: BrokerStore | undefined;
  let entities: EntityService | undefined;
  let subscriptions: SubscriptionService | undefined;
  let contexts: ContextResolver | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  const directory = options.directory ?? join(config.dataDirectory, 'ngsi-ld');
  const retentionMs = config.broker.historyRetentionDays * 86_400_000;

  const prune = () => {
    if (!store) return;
    const before = new Date(Date.now() - retentionMs).toISOString();
    for (const name of store.tenantNames()) {
      try {
        store.tenant(name, false).pruneHistory(before);
      } catch {
        // A tenant that cannot be opened now is pruned next time.
      }
    }
  };

  return {
    name: 'ngsi-ld-broker',
    async register(app, context) {
      const profile = brokerProfile(config.broker.profile, config.broker.maxLimit);
      store = new BrokerStore(directory);
      contexts = new ContextResolver(options.contexts);
      entities = new EntityService(store);
      subscriptions = new SubscriptionService(entities, contexts, options.notifications);
      await subscriptions.loadAll();
      prune();
      pruneTimer = setInterval(prune, 3_600_000);
      pruneTimer.unref();
      context.health.register('broker', () => {
        try {
          store!.tenant('', false).database.prepare('SELECT 1').get();
          return {
            status: 'ok',
            detail: `embedded NGSI-LD broker at ${NGSI_LD_BASE_PATH}, data in ${directory}`,
          };
        } catch (error) {
          return { status: 'down', detail: `broker database unusable: ${(error as Error).message}` };
        }
      });
      await app.register(
        (scope) =>
          registerBrokerRoutes(scope, {
            entities: entities!,
            subscriptions: subscriptions!,
            contexts: contexts!,
            defaultLimit: options.defaultLimit ?? profile.defaultLimit,
            maxLimit: profile.maxLimit,
            profile,
            bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
          }),
        { prefix: NGSI_LD_BASE_PATH },
      );
    },
    close() {
      if (pruneTimer) clearInterval(pruneTimer);
      subscriptions?.close();
      store?.close();
    },
    services() {
      return entities && subscriptions && contexts ? { entities, subscriptions, contexts } : undefined;
    },
  };
}
