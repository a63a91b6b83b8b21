// Reads the embedded broker's store in the same process, for Plaza's own readers (the NGSI-LD OGC provider): the same
// selection, rendering and errors as GET /entities with Accept: application/geo+json, without the loopback request,
// the broker's JSON serialisation and the reader's JSON parse. Read-only: writes keep going through the HTTP API, so
// that subscriptions, validation and the profiles see every change.
import type { ContextResolver, NgsiLdContext } from '../context';
import type { EntityService } from '../entities';
import { checkEntityId } from '../entity';
import { buildEntityFilter } from '../entity-query';
import { projectionOptions, renderFeature, type FeatureOptions } from '../render';
import { DEFAULT_TENANT, type EntityFilter } from '../store';
import { ApiError } from '../../http/errors';
import {
  NgsiLdClientError,
  kindOfAnswer,
  problemTypeOf,
  type NgsiLdEntityQuery,
  type NgsiLdFeature,
  type NgsiLdFormat,
  type NgsiLdGeoJsonReader,
  type NgsiLdPage,
  type NgsiLdPageOptions,
  type NgsiLdReadAllOptions,
} from '../client';

/** The embedded broker's services an in-process reader needs. */
export interface EmbeddedBrokerServices {
  entities: EntityService;
  contexts: ContextResolver;
}

/** Options of {@link InProcessReader}: what the HTTP client would send as headers. */
export interface InProcessReaderOptions {
  /** NGSILD-Tenant (default: the default tenant). */
  tenant?: string;
  /** The user @context (a URL, as the Link header would carry it). */
  context?: string;
  /** Most entities an "all" read may return (default 50,000), as the client's `maxEntities`. */
  maxEntities?: number;
}

/** The largest page one in-process read hands out (the OGC layer asks for at most its own maximum). */
const IN_PROCESS_MAX_LIMIT = 10_000;

/**
 * The broker's failure as the client's error, so that callers branch on the same `kind` whether they read over HTTP
 * or in process.
 */
function clientError(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const problemType = problemTypeOf({ type: error.options.type });
  return new NgsiLdClientError(
    `${error.options.title ?? 'error'}: ${error.detail}`,
    kindOfAnswer(error.status, problemType),
    error.status,
    problemType,
    error.toProblem(),
  );
}

/** GeoJSON reads from the embedded broker's store; the subset of NgsiLdClient the OGC provider uses. */
export class InProcessReader implements NgsiLdGeoJsonReader {
  constructor(
    readonly services: EmbeddedBrokerServices,
    readonly options: InProcessReaderOptions = {},
  ) {}

  async #run<T>(read: (context: NgsiLdContext) => T): Promise<T> {
    try {
      return read(await this.services.contexts.resolve(this.options.context));
    } catch (error) {
      throw clientError(error);
    }
  }

  #store() {
    return this.services.entities.store.tenant(this.options.tenant ?? DEFAULT_TENANT, false);
  }

  /** The store filter and render options of a query, as GET /entities derives them from its parameters. */
  #prepare(
    query: NgsiLdEntityQuery,
    context: NgsiLdContext,
  ): { filter: EntityFilter; render: FeatureOptions } {
    if (query.extra && Object.keys(query.extra).length)
      throw new NgsiLdClientError(
        `in-process reads take no extra parameters (${Object.keys(query.extra).join(', ')})`,
        'not-implemented',
      );
    const render: FeatureOptions = {
      format: query.format ?? 'normalized',
      geometryProperty: context.expandTerm(query.geometryProperty ?? 'location'),
      ...projectionOptions({ attrs: query.attrs, pick: query.pick }, context),
    };
    const filter = buildEntityFilter(
      {
        ids: query.id,
        idPattern: query.idPattern,
        types: query.type === undefined ? undefined : Array.isArray(query.type) ? query.type : [query.type],
        attributes: query.attrs && render.attributes ? [...render.attributes] : undefined,
        q: query.q,
        geo: query.geo,
      },
      context,
    );
    return { filter, render };
  }

  /** Matching entities as Features, a page of the store's order (GET /entities with limit/offset/count). */
  #read(
    query: NgsiLdEntityQuery,
    page: { limit: number; offset: number; count: boolean },
  ): Promise<NgsiLdPage<NgsiLdFeature>> {
    return this.#run((context) => {
      const { filter, render } = this.#prepare(query, context);
      const result = this.#store().queryEntities(filter, page);
      return {
        items: result.entities.map(
          (entity) => renderFeature(entity, context, render) as unknown as NgsiLdFeature,
        ),
        count: result.count,
      };
    });
  }

  /** The reader's limits, as discovery reports a broker's. */
  async discover(): Promise<{ maxLimit: number }> {
    return { maxLimit: IN_PROCESS_MAX_LIMIT };
  }

  /** The entity types held, as terms of the reader's @context (GET /types). */
  async listTypes(): Promise<string[]> {
    return this.#run((context) =>
      this.#store()
        .typeSummary()
        .map(({ type }) => context.compactIri(type)),
    );
  }

  /** One entity as a Feature, undefined when there is none (GET /entities/{id}). */
  async getEntityGeoJson(
    id: string,
    options: { format?: NgsiLdFormat; geometryProperty?: string } = {},
  ): Promise<NgsiLdFeature | undefined> {
    try {
      return await this.#run((context) => {
        // The id check GET /entities/{id} makes (a URI), then the entity.
        const entityId = checkEntityId(id, 'entity id');
        const entity = this.#store().getEntity(entityId);
        if (!entity) return undefined;
        return renderFeature(
          entity,
          context,
          this.#prepare(options, context).render,
        ) as unknown as NgsiLdFeature;
      });
    } catch (error) {
      // As over HTTP: no such entity or tenant is no entity (an id that is not a URI stays a bad request).
      if (error instanceof NgsiLdClientError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  /** One page of features in the store's order, the total when asked for (GET /entities, limit/offset/count). */
  async queryEntitiesGeoJsonPage(
    query: NgsiLdEntityQuery,
    page: NgsiLdPageOptions,
  ): Promise<NgsiLdPage<NgsiLdFeature>> {
    if (page.limit > IN_PROCESS_MAX_LIMIT)
      throw new NgsiLdClientError(
        `limit ${page.limit} is above the in-process maximum of ${IN_PROCESS_MAX_LIMIT}`,
        'too-many-results',
      );
    return this.#read(query, { limit: page.limit, offset: page.offset ?? 0, count: page.count ?? false });
  }

  /**
   * Every matching feature, up to `maxItems` (default the reader's `maxEntities`, 50,000).
   * @throws NgsiLdClientError `too-many-results` (without a status) when more match
   */
  async queryEntitiesGeoJson(
    query: NgsiLdEntityQuery,
    options: NgsiLdReadAllOptions = {},
  ): Promise<NgsiLdFeature[]> {
    const maximum = options.maxItems ?? this.options.maxEntities ?? 50_000;
    // One more than allowed tells whether the cap was passed.
    const { items } = await this.#read(query, { limit: maximum + 1, offset: 0, count: false });
    if (items.length > maximum)
      throw new NgsiLdClientError(
        `the broker holds more than ${maximum} entities of the query; narrow the query`,
        'too-many-results',
      );
    return items;
  }
}
