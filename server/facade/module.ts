// The NGSI-LD facade module: read-only NGSI-LD (/ngsi-ld/facade/v1: entities, entities/{id}, types, types/{type})
// over the OGC API Features collections Plaza serves, or over a configured remote OGC API endpoint (`source`).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlazaConfig } from '../config';
import { ApiError } from '../http/errors';
import type { PlazaModule } from '../http/module';
import { ContextResolver, type NgsiLdContext } from '../ngsi-ld/context';
import { CORE_CONTEXT_URL } from '../ngsi-ld/core-context';
import { badRequestData, invalidRequest, ngsiLdError, resourceNotFound } from '../ngsi-ld/errors';
import { negotiate } from '../ngsi-ld/broker/http';
import { buildCatalog } from '../ogc/module';
import type { CollectionCatalog } from '../ogc/catalog';
import { loadCollectionsConfig } from '../ogc/collections-config';
import { ProviderError, type ProviderDescription } from '../providers/provider';
import {
  FACADE_BASE_PATH,
  FACADE_CONTEXT_PATH,
  attributeNameOf,
  buildFacadeContext,
  entityToGeoJsonFeature,
  featureToEntity,
  parseEntityId,
  termOf,
  type FacadeEntity,
  type FacadeFormat,
} from './entities';
import { parseFacadeFilter, queryFacade, type FacadeSource } from './query';
import { RemoteOgcProvider, listRemoteCollections } from './remote';

/** Default and largest `limit` of the facade (as the embedded broker). */
export const FACADE_DEFAULT_LIMIT = 20;
export const FACADE_MAX_LIMIT = 1000;

/** Query parameters /entities understands; any other answers 400 InvalidRequest (spec 1.7.1). */
const ENTITY_PARAMETERS = new Set([
  'type',
  'id',
  'idPattern',
  'q',
  'attrs',
  'georel',
  'geometry',
  'coordinates',
  'geoproperty',
  'geometryProperty',
  'limit',
  'offset',
  'count',
  'options',
  'format',
  'local',
  'source',
]);

/** Options of {@link createFacadeModule}. */
export interface FacadeModuleOptions {
  /** The catalog to serve (default: one built from the configuration, as the OGC module builds its own). */
  catalog?: CollectionCatalog;
}

type Query = Record<string, string | string[] | undefined>;

/** The one value of a parameter; a repeated one is a 400. */
function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalidRequest(`parameter '${name}' is given more than once`);
  return value;
}

function list(query: Query, name: string): string[] | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw badRequestData(`parameter '${name}' has an empty item`);
  return items;
}

function integer(query: Query, name: string, fallback: number): number {
  const value = single(query, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw badRequestData(`${name} '${value}' is not a whole number >= 0`);
  return Number(value);
}

/** The entity format from `format` or `options` (`simplified` is keyValues). */
function formatOf(query: Query): FacadeFormat {
  const format = single(query, 'format');
  const options = list(query, 'options') ?? [];
  const names = format !== undefined ? [format] : options;
  for (const name of names) {
    if (name === 'keyValues' || name === 'simplified') return 'keyValues';
    if (name === 'concise') return 'concise';
    if (name === 'normalized') return 'normalized';
    if (format === undefined && name === 'sysAttrs') continue;
    throw badRequestData(
      `${format !== undefined ? 'format' : 'options'} '${name}' is not supported by the facade`,
    );
  }
  return 'normalized';
}

/** The facade's collections: the local catalog, or a configured remote endpoint. */
interface FacadeCollections {
  /** The collection ids (entity types), in order. */
  ids(): Promise<string[]>;
  source(id: string): FacadeSource | undefined;
  /** The @context URL responses name (carries `source` for a remote). */
  contextUrl: string;
}

/** The NGSI-LD facade over OGC API Features collections. */
export function createFacadeModule(config: PlazaConfig, options: FacadeModuleOptions = {}): PlazaModule {
  let catalog = options.catalog;
  const ownsCatalog = !catalog;
  let coreContext: Promise<NgsiLdContext> | undefined;
  const allowedRemotes = new Set(config.facade.remoteEndpoints);
  const remoteCollections = new Map<string, Map<string, FacadeSource>>();
  // The embedded broker's URL is known only once Plaza listens (for configured NGSI-LD collections).
  let brokerUrl = config.ngsiLd.url;

  const localCollections = (baseUrl: string): FacadeCollections => {
    const descriptions = new Map<string, Promise<ProviderDescription>>();
    return {
      async ids() {
        return catalog!.list(false).flatMap((entry) => (entry.kind === 'features' ? [entry.id] : []));
      },
      source(id) {
        const entry = catalog!.get(id, false);
        if (!entry || entry.kind !== 'features') return undefined;
        return {
          collectionId: id,
          provider: entry.provider,
          describe: () => {
            let description = descriptions.get(id);
            if (!description) descriptions.set(id, (description = catalog!.describe(entry)));
            return description;
          },
        };
      },
      contextUrl: `${baseUrl}${FACADE_CONTEXT_PATH}`,
    };
  };

  const remoteCollectionsOf = async (endpoint: string, baseUrl: string): Promise<FacadeCollections> => {
    if (!allowedRemotes.has(endpoint)) {
      throw new ApiError(
        403,
        `source '${endpoint}' is not a configured remote OGC API endpoint (PLAZA_FACADE_REMOTES); the facade is no open proxy`,
        { type: 'https://uri.etsi.org/ngsi-ld/errors/AccessDenied', title: 'AccessDenied' },
      );
    }
    let sources = remoteCollections.get(endpoint);
    if (!sources) {
      sources = new Map();
      for (const id of await listRemoteCollections(endpoint)) {
        const provider = new RemoteOgcProvider(endpoint, id);
        let description: Promise<ProviderDescription> | undefined;
        sources.set(id, {
          collectionId: id,
          provider,
          describe: () => {
            description ??= provider.describe();
            description.catch(() => (description = undefined));
            return description;
          },
        });
      }
      remoteCollections.set(endpoint, sources);
    }
    const known = sources;
    return {
      ids: async () => [...known.keys()],
      source: (id) => known.get(id),
      contextUrl: `${baseUrl}${FACADE_CONTEXT_PATH}?source=${encodeURIComponent(endpoint)}`,
    };
  };

  const baseUrlOf = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  const collectionsFor = async (request: FastifyRequest): Promise<FacadeCollections> => {
    const source = single(request.query as Query, 'source');
    if (source === undefined) return localCollections(baseUrlOf(request));
    return guard(() => remoteCollectionsOf(source.trim().replace(/\/+$/, ''), baseUrlOf(request)));
  };

  const linkHeader = (url: string) =>
    `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

  /** Sends entities (an array or one) in the negotiated media type. */
  const sendEntities = (
    reply: FastifyReply,
    media: ReturnType<typeof negotiate>,
    contextUrl: string,
    body: FacadeEntity | FacadeEntity[],
  ) => {
    const bodyContext = [contextUrl, CORE_CONTEXT_URL];
    if (media === 'application/geo+json') {
      const toFeature = (entity: FacadeEntity) => {
        const { location, ...rest } = entity;
        const geometry = (
          location &&
          typeof location === 'object' &&
          'value' in location &&
          (location as { type?: unknown }).type === 'GeoProperty'
            ? (location as { value: unknown }).value
            : (location ?? null)
        ) as Parameters<typeof entityToGeoJsonFeature>[1];
        return entityToGeoJsonFeature(
          { ...rest, ...(location ? { location } : {}) } as FacadeEntity,
          geometry,
        );
      };
      const geoJson = Array.isArray(body)
        ? { type: 'FeatureCollection', features: body.map(toFeature), '@context': bodyContext }
        : { ...toFeature(body), '@context': bodyContext };
      return reply.type('application/geo+json').send(geoJson);
    }
    if (media === 'application/ld+json') {
      const withContext = Array.isArray(body)
        ? body.map((entity) => ({ ...entity, '@context': bodyContext }))
        : { ...body, '@context': bodyContext };
      return reply.type('application/ld+json').send(withContext);
    }
    return reply.header('link', linkHeader(contextUrl)).type('application/json').send(body);
  };

  /** Maps provider failures to NGSI-LD problems (a backend failure is 502/503, a bad request 400). */
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProviderError) {
        if (error.kind === 'bad-request') throw badRequestData(error.message);
        throw new ApiError(502, error.message, {
          type: 'https://uri.etsi.org/ngsi-ld/errors/BadGateway',
          title: 'BadGateway',
        });
      }
      throw error;
    }
  };

  const registerRoutes = async (app: FastifyInstance) => {
    app.get('/entities', async (request, reply) => {
      const query = request.query as Query;
      for (const name of Object.keys(query)) {
        if (!ENTITY_PARAMETERS.has(name)) throw invalidRequest(`unknown query parameter '${name}'`);
      }
      const media = negotiate(request, true);
      const limit = integer(query, 'limit', FACADE_DEFAULT_LIMIT);
      const offset = integer(query, 'offset', 0);
      const count = single(query, 'count') === 'true';
      if (single(query, 'count') !== undefined && !['true', 'false'].includes(single(query, 'count')!))
        throw badRequestData(`count '${single(query, 'count')}' is not true or false`);
      if (limit > FACADE_MAX_LIMIT)
        throw ngsiLdError(
          'TooManyResults',
          `limit ${limit} is above the facade's maximum of ${FACADE_MAX_LIMIT}`,
        );
      if (limit === 0 && !count) throw badRequestData('limit=0 is allowed only with count=true');
      const geometryProperty = single(query, 'geometryProperty');
      if (geometryProperty !== undefined && media !== 'application/geo+json')
        throw badRequestData('geometryProperty is allowed only with Accept: application/geo+json');
      if (geometryProperty !== undefined && geometryProperty !== 'location')
        throw badRequestData(`geometryProperty '${geometryProperty}': facade entities have only 'location'`);
      const format = formatOf(query);
      const types = list(query, 'type');
      const ids = list(query, 'id');
      if (ids) {
        for (const id of ids)
          if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(id)) throw badRequestData(`id '${id}' is not a URI`);
      }
      const filter = parseFacadeFilter(
        {
          id: ids,
          idPattern: single(query, 'idPattern'),
          q: single(query, 'q'),
          georel: single(query, 'georel'),
          geometry: single(query, 'geometry'),
          coordinates: single(query, 'coordinates'),
          geoproperty: single(query, 'geoproperty'),
          attrs: list(query, 'attrs'),
        },
        await (coreContext ??= new ContextResolver().resolve(undefined)),
      );
      if (
        !types &&
        !ids &&
        !filter.idPattern &&
        !filter.q &&
        !filter.geo &&
        !filter.attributes &&
        single(query, 'local') !== 'true'
      )
        throw badRequestData(
          'a query needs at least one of type, id, idPattern, attrs, q, a geo-query or local=true',
        );
      const collections = await collectionsFor(request);
      const typeIds = types ? types.map(termOf) : await collections.ids();
      const sources = typeIds.map((id) => collections.source(id)).filter((source) => source !== undefined);
      const { matches, count: total } = await guard(() =>
        queryFacade(sources, filter, { limit, offset, count }),
      );
      const attributes = filter.attributes;
      const entities = matches.map(({ collectionId, feature }) => {
        const entity = featureToEntity(collectionId, feature, format);
        if (!attributes) return entity;
        // attrs projects as well as filters: id and type stay.
        return Object.fromEntries(
          Object.entries(entity).filter(
            ([name]) => name === 'id' || name === 'type' || attributes.includes(name),
          ),
        ) as FacadeEntity;
      });
      if (total !== undefined) reply.header('NGSILD-Results-Count', String(total));
      return sendEntities(reply, media, collections.contextUrl, entities);
    });

    app.get('/entities/:entityId', async (request, reply) => {
      const { entityId } = request.params as { entityId: string };
      const query = request.query as Query;
      for (const name of Object.keys(query)) {
        if (!['options', 'format', 'attrs', 'source', 'geometryProperty'].includes(name))
          throw invalidRequest(`unknown query parameter '${name}'`);
      }
      const media = negotiate(request, true);
      const format = formatOf(query);
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(entityId))
        throw badRequestData(`id '${entityId}' is not a URI`);
      const parsed = parseEntityId(entityId);
      const collections = await collectionsFor(request);
      const source = parsed ? collections.source(parsed.collectionId) : undefined;
      const feature =
        source && parsed ? await guard(() => source.provider.getFeature(parsed.featureId)) : undefined;
      if (!feature || !parsed) throw resourceNotFound(`entity '${entityId}' does not exist`);
      return sendEntities(
        reply,
        media,
        collections.contextUrl,
        featureToEntity(parsed.collectionId, feature, format),
      );
    });

    app.get('/types', async (request, reply) => {
      const query = request.query as Query;
      const media = negotiate(request, false);
      const collections = await collectionsFor(request);
      const ids = await collections.ids();
      let body: unknown;
      if (single(query, 'details') === 'true') {
        body = await guard(() =>
          Promise.all(
            ids.map(async (id) => {
              const description = await collections.source(id)!.describe();
              return {
                id,
                type: 'EntityType',
                typeName: id,
                attributeNames: [...Object.keys(description.properties).map(attributeNameOf), 'location'],
              };
            }),
          ),
        );
      } else {
        body = { id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`, type: 'EntityTypeList', typeList: ids };
      }
      if (media === 'application/ld+json')
        return reply
          .type(media)
          .send(
            Array.isArray(body)
              ? body.map((item) => ({ ...item, '@context': [collections.contextUrl, CORE_CONTEXT_URL] }))
              : { ...(body as object), '@context': [collections.contextUrl, CORE_CONTEXT_URL] },
          );
      return reply.header('link', linkHeader(collections.contextUrl)).type('application/json').send(body);
    });

    app.get('/types/:type', async (request, reply) => {
      const { type } = request.params as { type: string };
      const media = negotiate(request, false);
      const collections = await collectionsFor(request);
      const source = collections.source(termOf(type));
      if (!source) throw resourceNotFound(`entity type '${type}' does not exist`);
      const description = await guard(() => source.describe());
      const entityCount =
        description.count ??
        (await guard(() => queryFacade([source], {}, { limit: 0, offset: 0, count: true }))).count!;
      const body = {
        id: source.collectionId,
        type: 'EntityTypeInfo',
        typeName: source.collectionId,
        entityCount,
        attributeDetails: [
          ...Object.keys(description.properties).map((name) => ({
            id: attributeNameOf(name),
            type: 'Attribute',
            attributeName: attributeNameOf(name),
            attributeTypes: ['Property'],
          })),
          { id: 'location', type: 'Attribute', attributeName: 'location', attributeTypes: ['GeoProperty'] },
        ],
      };
      if (media === 'application/ld+json')
        return reply.type(media).send({ ...body, '@context': [collections.contextUrl, CORE_CONTEXT_URL] });
      return reply.header('link', linkHeader(collections.contextUrl)).type('application/json').send(body);
    });

    // Read-only: writes on the facade's resources answer 405, other NGSI-LD endpoints 501.
    const readOnly = () => {
      throw new ApiError(405, 'the NGSI-LD facade over OGC collections is read-only', {
        type: 'https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported',
        title: 'OperationNotSupported',
      });
    };
    for (const url of [
      '/entities',
      '/entities/:entityId',
      '/entities/:entityId/attrs',
      '/entities/:entityId/attrs/:attribute',
      '/types',
      '/types/:type',
    ]) {
      app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url, handler: readOnly });
    }
    app.all('/entityOperations/*', () => {
      throw ngsiLdError('NotImplemented', 'the NGSI-LD facade is read-only: it has no batch operations');
    });
    for (const path of [
      '/subscriptions',
      '/subscriptions/*',
      '/temporal/*',
      '/csourceRegistrations',
      '/csourceRegistrations/*',
      '/attributes',
      '/attributes/*',
      '/jsonldContexts',
      '/jsonldContexts/*',
    ]) {
      app.all(path, () => {
        throw ngsiLdError(
          'NotImplemented',
          `the NGSI-LD facade serves entities and types only, not ${path.replace('/*', '')}`,
        );
      });
    }
  };

  return {
    name: 'facade',
    async register(app) {
      catalog ??= await buildCatalog(
        config,
        { ...loadCollectionsConfig(config.ogc.collectionsFile), tilesets: false, ngsiLdTypes: false },
        () => brokerUrl,
      );
      await app.register(registerRoutes, { prefix: FACADE_BASE_PATH });
      app.get(FACADE_CONTEXT_PATH, async (request, reply) => {
        const collections = await collectionsFor(request);
        const ids = await collections.ids();
        const described = await guard(() =>
          Promise.all(
            ids.map(async (id) => ({
              id,
              properties: Object.keys((await collections.source(id)!.describe()).properties),
            })),
          ),
        );
        return reply
          .type('application/ld+json')
          .header('cache-control', 'public, max-age=60')
          .send(buildFacadeContext(described));
      });
    },
    start(baseUrl) {
      brokerUrl ??= `${baseUrl}/ngsi-ld/v1`;
    },
    async close() {
      if (ownsCatalog) await catalog?.close();
      catalog = undefined;
    },
  };
}
