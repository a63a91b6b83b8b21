// Reads the embedded broker's store in the same process, for Plaza's own readers (the NGSI-LD OGC provider): the same
// selection, rendering and errors as GET /entities with Accept: application/geo+json, without the loopback request,
// the broker's JSON serialisation and the reader's JSON parse. Read-only: writes keep going through the HTTP API, so
// that subscriptions, validation and the profiles see every change.
import type { ContextResolver, NgsiLdContext } from '../context';
import type { EntityService } from '../entities';
import { buildEntityFilter, type EntitySelection } from '../entity-query';
import { renderFeature, type EntityFormat, type FeatureOptions } from '../render';
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

const FORMATS: Record<NgsiLdFormat, EntityFormat> = {
  normalized: 'normalized',
  concise: 'concise',
  keyValues: 'keyValues',
};

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

  #filter(query: NgsiLdEntityQuery, context: NgsiLdContext): EntityFilter {
    if (query.extra && Object.keys(query.extra).length)
      throw new NgsiLdClientError(
        `in-process reads take no extra parameters (${Object.keys(query.extra).join(', ')})`,
        'not-implemented',
      );
    const selection: EntitySelection = {
      ids: query.id,
      idPattern: query.idPattern,
      types: query.type === undefined ? undefined : Array.isArray(query.type) ? query.type : [query.type],
      attributes: query.attrs?.map((name) => context.expandTerm(name)),
      q: query.q,
      geo: query.geo
        ? {
            georel: query.geo.georel,
            geometry: query.geo.geometry,
            coordinates: query.geo.coordinates,
            geoproperty: query.geo.geoproperty,
          }
        : undefined,
    };
    return buildEntityFilter(selection, context);
  }

  #render(query: NgsiLdEntityQuery, context: NgsiLdContext): FeatureOptions {
    const render: FeatureOptions = {
      format: FORMATS[query.format ?? 'normalized'],
      sysAttrs: false,
      geometryProperty: context.expandTerm(query.geometryProperty ?? 'location'),
    };
    if (query.attrs) render.attributes = new Set(query.attrs.map((name) => context.expandTerm(name)));
    if (query.pick) {
      render.omitId = !query.pick.includes('id');
      render.omitType = !query.pick.includes('type');
      render.attributes = new Set(
        query.pick.filter((name) => name !== 'id' && name !== 'type').map((name) => context.expandTerm(name)),
      );
    }
    return render;
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
        // The id checks GET /entities/{id} makes (a URI), then the entity.
        buildEntityFilter({ ids: [id] }, context);
        const entity = this.#store().getEntity(id);
        if (!entity) return undefined;
        return renderFeature(entity, context, this.#render(options, context)) as unknown as NgsiLdFeature;
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
    return this.#run((context) => {
      const filter = this.#filter(query, context);
      const render = this.#render(query, context);
      const result = this.#store().queryEntities(filter, {
        limit: page.limit,
        offset: page.offset ?? 0,
        count: page.count ?? false,
      });
      return {
        items: result.entities.map(
          (entity) => renderFeature(entity, context, render) as unknown as NgsiLdFeature,
        ),
        count: result.count,
      };
    });
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
    return this.#run((context) => {
      const filter = this.#filter(query, context);
      const render = this.#render(query, context);
      // One more than allowed tells whether the cap was passed.
      const { entities } = this.#store().queryEntities(filter, {
        limit: maximum + 1,
        offset: 0,
        count: false,
      });
      if (entities.length > maximum)
        throw new NgsiLdClientError(
          `the broker holds more than ${maximum} entities of the query; narrow the query`,
          'too-many-results',
        );
      return entities.map((entity) => renderFeature(entity, context, render) as unknown as NgsiLdFeature);
    });
  }
}
