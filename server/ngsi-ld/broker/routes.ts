// The broker's HTTP API under /ngsi-ld/v1 (ETSI GS CIM 009 clause 6): entities, batch operations, queries,
// discovery, subscriptions and temporal queries. Handlers translate HTTP into EntityService/SubscriptionService calls.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, sendProblem, toProblem } from '../../http/errors';
import type { ContextResolver, NgsiLdContext } from '../context';
import { checkEntityId, expandTypes, readEntityInput, type StoredAttribute } from '../entity';
import type { EntityService } from '../entities';
import { buildEntityFilter, splitList, type EntitySelector } from '../entity-query';
import { badRequestData, errorTypeUri, invalidRequest, ngsiLdError, resourceNotFound } from '../errors';
import { brokerProfile, type BrokerProfile } from '../profiles';
import type { GeoQueryInput } from '../geo-query';
import {
  projectionOptions,
  renderEntity,
  renderFeature,
  type EntityFormat,
  type RenderOptions,
} from '../render';
import type { SubscriptionService } from '../subscriptions';
import {
  parseTemporalQuery,
  readTemporalEntity,
  requireTemporalEntity,
  temporalEntityIds,
} from '../temporal';
import { negotiate, readBrokerRequest, readParameters, sendCompacted, type BrokerRequest } from './http';

/** What the routes need. */
export interface BrokerRoutesOptions {
  entities: EntityService;
  subscriptions: SubscriptionService;
  contexts: ContextResolver;
  /** Default `limit` (20). */
  defaultLimit: number;
  /** Largest `limit`; beyond it 403 TooManyResults. */
  maxLimit: number;
  /** Largest request body, bytes; beyond it 413. */
  bodyLimit: number;
  /** The compatibility profile (default standard): consulted where brokers differ. */
  profile?: BrokerProfile;
}

const BASE = '/ngsi-ld/v1';
const JSON_TYPES = [
  'application/json',
  'application/ld+json',
  'application/merge-patch+json',
  'application/geo+json',
];
const QUERY_PARAMETERS = [
  'id',
  'idPattern',
  'type',
  'attrs',
  'pick',
  'omit',
  'q',
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
  'lang',
  'csf',
  'scopeQ',
  'datasetId',
];
const RETRIEVE_PARAMETERS = [
  'attrs',
  'pick',
  'omit',
  'options',
  'format',
  'geometryProperty',
  'lang',
  'local',
  'datasetId',
];
const FORMATS: Record<string, EntityFormat> = {
  normalized: 'normalized',
  concise: 'concise',
  keyValues: 'keyValues',
  simplified: 'keyValues',
};

/** Registers the broker's routes on a Fastify scope (call with the /ngsi-ld/v1 prefix set by the caller). */
export async function registerBrokerRoutes(
  app: FastifyInstance,
  options: BrokerRoutesOptions,
): Promise<void> {
  const { entities, subscriptions, contexts } = options;
  const profile = options.profile ?? brokerProfile('standard', options.maxLimit);
  /** Profile rules on query parameters: pick/omit (Orion-LD has none), whole-metre near (Stellio). */
  const checkProfileParameters = (parameters: Record<string, string | undefined>) => {
    if (!profile.pickOmit) {
      for (const name of ['pick', 'omit']) {
        if (parameters[name] !== undefined)
          throw badRequestData(`Invalid URI parameter: '${name}' is not supported by this broker`);
      }
    }
    if (
      profile.wholeMetreNear &&
      parameters.georel !== undefined &&
      /Distance==\d*\.\d*/.test(parameters.georel)
    )
      throw badRequestData(`georel '${parameters.georel}': distances must be whole metres`);
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    JSON_TYPES,
    { parseAs: 'string', bodyLimit: options.bodyLimit },
    (_request, text, done) => {
      const source = String(text);
      if (source.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(source));
      } catch (error) {
        done(invalidRequest(`the body is not valid JSON: ${(error as Error).message}`), undefined);
      }
    },
  );

  app.setErrorHandler((error, request, reply) => {
    const code = (error as { code?: string }).code;
    let mapped: ApiError | unknown = error;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      mapped = ngsiLdError(
        'BadRequestData',
        `the request body is larger than ${options.bodyLimit} bytes`,
        413,
      );
    } else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      mapped = ngsiLdError(
        'UnsupportedMediaType',
        `Content-Type '${request.headers['content-type'] ?? ''}' is not application/json or application/ld+json`,
      );
    } else if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      mapped = invalidRequest('the request body is empty or incomplete');
    } else if ((error as { statusCode?: number }).statusCode === 400 && !(error as ApiError).toProblem) {
      mapped = invalidRequest((error as Error).message);
    }
    const problem = toProblem(mapped, request);
    if (problem.status >= 500) request.log.error({ err: error }, 'broker request failed');
    return sendProblem(request, reply, problem);
  });

  const read = (request: FastifyRequest) => readBrokerRequest(request, contexts);
  const requireBody = (body: unknown): void => {
    if (body === undefined || body === null) throw invalidRequest('the request has no body');
  };

  // ---------- entities ----------
  app.post('/entities', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context, body } = await read(request);
    requireBody(body);
    const input = readEntityInput(body, context, { requireIdentity: true, now: entities.now() });
    const entity = entities.createEntity(tenant, input);
    return reply
      .code(201)
      .header('location', `${BASE}/entities/${encodeURIComponent(entity.id)}`)
      .send();
  });

  app.get('/entities', async (request, reply) => {
    const parameters = readParameters(request, QUERY_PARAMETERS);
    const brokerRequest = await read(request);
    const media = negotiate(request, true);
    return runQuery(reply, brokerRequest, media, parameters, {
      ids: splitList(parameters.id, 'id'),
      idPattern: parameters.idPattern,
      type: parameters.type,
      attrs: parameters.attrs,
      q: parameters.q,
      geo: {
        georel: parameters.georel,
        geometry: parameters.geometry,
        coordinates: parameters.coordinates,
        geoproperty: parameters.geoproperty,
      },
    });
  });

  app.post('/entityOperations/query', async (request, reply) => {
    const parameters = readParameters(request, [
      'limit',
      'offset',
      'count',
      'options',
      'format',
      'local',
      'geometryProperty',
      'lang',
    ]);
    const brokerRequest = await read(request);
    const media = negotiate(request, true);
    const body = brokerRequest.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequestData('the body must be a Query object');
    if (body.type !== 'Query')
      throw badRequestData(`the body's type must be "Query", not ${JSON.stringify(body.type)}`);
    const selectors = body.entities as Array<Record<string, unknown>> | undefined;
    if (
      selectors !== undefined &&
      (!Array.isArray(selectors) ||
        selectors.some((selector) => typeof selector !== 'object' || selector === null))
    ) {
      throw badRequestData('entities must be an array of {id?, idPattern?, type} selectors');
    }
    const attrs = body.attrs;
    if (attrs !== undefined && (!Array.isArray(attrs) || !attrs.every((name) => typeof name === 'string'))) {
      throw badRequestData('attrs must be an array of attribute names');
    }
    const geoQ = body.geoQ as GeoQueryInput | undefined;
    if (geoQ !== undefined && (typeof geoQ !== 'object' || geoQ === null))
      throw badRequestData('geoQ must be an object');
    for (const [index, selector] of (selectors ?? []).entries()) {
      for (const member of ['type', 'id', 'idPattern']) {
        if (selector[member] !== undefined && typeof selector[member] !== 'string') {
          throw badRequestData(`entities[${index}].${member} must be a string`);
        }
      }
    }
    const single = selectors?.length === 1 ? selectors[0] : undefined;
    const types = selectors?.map((selector) => selector.type).filter((type) => type !== undefined);
    return runQuery(reply, brokerRequest, media, parameters, {
      ids: single?.id !== undefined ? [single.id as string] : undefined,
      idPattern: single?.idPattern as string | undefined,
      // Several selectors: SQL narrows to the union of their types, each entity must then match one selector.
      selectors: selectors && selectors.length > 1 ? (selectors as EntitySelector[]) : undefined,
      type: types && types.length ? types.map(String).join(',') : undefined,
      attrs: attrs ? (attrs as string[]).join(',') : undefined,
      q: typeof body.q === 'string' ? body.q : undefined,
      geo: geoQ ?? {},
    });
  });

  app.get<{ Params: { id: string } }>('/entities/:id', async (request, reply) => {
    const parameters = readParameters(request, RETRIEVE_PARAMETERS);
    const { tenant, context } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    rejectUnsupported(parameters);
    const media = negotiate(request, true);
    checkProfileParameters(parameters);
    const render = readRenderOptions(parameters, context, media);
    const entity = entities.getEntity(tenant, id);
    if (
      render.attributes &&
      render.attributes.size > 0 &&
      ![...render.attributes].some((attribute) => attribute in entity.attributes)
    ) {
      throw resourceNotFound(
        `entity ${id} has none of the attributes ${parameters.attrs ?? parameters.pick}`,
      );
    }
    if (media === 'application/geo+json') {
      const feature = renderFeature(entity, context, {
        ...render,
        geometryProperty: render.geometryProperty,
        featureContext: context.bodyContext(),
      });
      if (profile.omitAbsentGeometry && feature.geometry === null) delete feature.geometry;
      return sendGeoJson(request, reply, context, feature);
    }
    return sendCompacted(reply, media, context, renderEntity(entity, context, render));
  });

  app.put<{ Params: { id: string } }>('/entities/:id', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const input = readEntityInput(body, context, { requireIdentity: false, now: entities.now() });
    entities.replaceEntity(tenant, id, input);
    return reply.code(204).send();
  });

  app.patch<{ Params: { id: string } }>('/entities/:id', async (request, reply) => {
    readParameters(request, ['local', 'options', 'format', 'observedAt', 'lang']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const input = readEntityInput(body, context, {
      requireIdentity: false,
      allowNull: true,
      now: entities.now(),
    });
    if (input.id !== undefined && input.id !== id)
      throw badRequestData(`the body's id ${input.id} differs from the URL's ${id}`);
    entities.writeAttributes(tenant, id, input, 'merge');
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>('/entities/:id', async (request, reply) => {
    readParameters(request, ['local', 'type']);
    const { tenant } = await read(request);
    entities.deleteEntity(tenant, checkEntityId(request.params.id, 'entity id'));
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/entities/:id/attrs', async (request, reply) => {
    const parameters = readParameters(request, ['options', 'local']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const input = readEntityInput(body, context, { requireIdentity: false, now: entities.now() });
    if (input.id !== undefined && input.id !== id)
      throw badRequestData(`the body's id ${input.id} differs from the URL's ${id}`);
    const noOverwrite = splitList(parameters.options, 'options')?.includes('noOverwrite') ?? false;
    const result = entities.writeAttributes(tenant, id, input, noOverwrite ? 'appendNoOverwrite' : 'append');
    return sendAttributeResult(reply, context, result);
  });

  app.patch<{ Params: { id: string } }>('/entities/:id/attrs', async (request, reply) => {
    readParameters(request, ['local', 'options']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const input = readEntityInput(body, context, { requireIdentity: false, now: entities.now() });
    const result = entities.writeAttributes(tenant, id, input, 'update');
    return sendAttributeResult(reply, context, result);
  });

  app.patch<{ Params: { id: string; attr: string } }>('/entities/:id/attrs/:attr', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const name = request.params.attr;
    if (typeof body !== 'object' || Array.isArray(body))
      throw badRequestData(`the body must be the members of attribute '${name}'`);
    const record = body as Record<string, unknown>;
    // Validate the fragment as a full attribute when it carries a type, otherwise take its members as given.
    const fragment: Partial<StoredAttribute> = record.type
      ? readEntityInput({ [name]: record }, context, { requireIdentity: false, now: entities.now() })
          .attributes[context.expandTerm(name)][0]
      : readFragment(record, name, context, entities.now());
    entities.patchAttribute(tenant, id, context.expandTerm(name), fragment, name);
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string; attr: string } }>('/entities/:id/attrs/:attr', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context, body } = await read(request);
    const id = checkEntityId(request.params.id, 'entity id');
    requireBody(body);
    const name = request.params.attr;
    const input = readEntityInput({ [name]: body }, context, { requireIdentity: false, now: entities.now() });
    const iri = context.expandTerm(name);
    const existing = entities.getEntity(tenant, id);
    if (!existing.attributes[iri]) throw resourceNotFound(`entity ${id} has no attribute '${name}'`);
    entities.writeAttributes(tenant, id, input, 'append');
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string; attr: string } }>(
    '/entities/:id/attrs/:attr',
    async (request, reply) => {
      const parameters = readParameters(request, ['datasetId', 'deleteAll', 'local']);
      const { tenant, context } = await read(request);
      const id = checkEntityId(request.params.id, 'entity id');
      if (
        parameters.deleteAll !== undefined &&
        parameters.deleteAll !== 'true' &&
        parameters.deleteAll !== 'false'
      ) {
        throw badRequestData(`deleteAll '${parameters.deleteAll}' is not true or false`);
      }
      entities.deleteAttribute(tenant, id, context.expandTerm(request.params.attr), request.params.attr, {
        datasetId: parameters.datasetId,
        deleteAll: parameters.deleteAll === 'true',
      });
      return reply.code(204).send();
    },
  );

  // ---------- batch operations ----------
  for (const operation of ['create', 'upsert', 'update', 'delete', 'merge'] as const) {
    app.post(`/entityOperations/${operation}`, async (request, reply) => {
      const parameters = readParameters(request, ['options', 'local']);
      const { tenant, context, body } = await read(request);
      if (!Array.isArray(body)) throw badRequestData(`/entityOperations/${operation} takes a JSON array`);
      if (body.length === 0) throw badRequestData(`/entityOperations/${operation} got an empty array`);
      const flags = splitList(parameters.options, 'options') ?? [];
      const now = entities.now();
      const inputs = body.map((item: unknown, index: number) => {
        if (operation === 'delete') {
          try {
            return { id: checkEntityId(item, `entity ${index}`) };
          } catch (error) {
            return { id: String(item), error: error as ApiError };
          }
        }
        const id =
          typeof item === 'object' && item !== null
            ? String((item as { id?: unknown }).id ?? `#${index}`)
            : `#${index}`;
        try {
          const input = readEntityInput(item, context, {
            requireIdentity: operation === 'create' || operation === 'upsert',
            allowNull: operation === 'merge',
            now,
          });
          if (!input.id) throw badRequestData(`entity ${index} has no id`);
          return { id, input };
        } catch (error) {
          if ((error as ApiError).status === undefined) throw error;
          return { id, error: error as ApiError };
        }
      });
      const mode =
        operation === 'upsert'
          ? flags.includes('update')
            ? 'upsertUpdate'
            : 'upsert'
          : operation === 'update' && flags.includes('noOverwrite')
            ? 'updateNoOverwrite'
            : operation;
      const result = entities.batch(tenant, mode, inputs);
      if (result.errors.length > 0) {
        return reply
          .code(207)
          .type('application/json')
          .send({
            success: result.success,
            errors: result.errors.map(({ entityId, error }) => ({ entityId, error: error.toProblem() })),
          });
      }
      if (operation === 'create') return reply.code(201).type('application/json').send(result.success);
      if (operation === 'upsert' && result.created.length > 0)
        return reply.code(201).type('application/json').send(result.created);
      return reply.code(204).send();
    });
  }

  // ---------- discovery ----------
  app.get('/types', async (request, reply) => {
    const parameters = readParameters(request, ['details', 'local']);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const store = entities.store.tenant(tenant, false);
    const summary = store.typeSummary();
    if (parameters.details === 'true') {
      const body = summary.map(({ type }) => ({
        id: type,
        type: 'EntityType',
        typeName: context.compactIri(type),
        attributeNames: store
          .typeAttributes(type)
          .map(({ attribute }) => context.compactIri(attribute))
          .filter(unique),
      }));
      return sendCompacted(reply, media, context, body);
    }
    return sendCompacted(reply, media, context, {
      id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`,
      type: 'EntityTypeList',
      typeList: summary.map(({ type }) => context.compactIri(type)),
    });
  });

  app.get<{ Params: { type: string } }>('/types/:type', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const store = entities.store.tenant(tenant, false);
    const type = context.expandTerm(request.params.type);
    const count = store.typeSummary().find((row) => row.type === type)?.count;
    if (!count) throw resourceNotFound(`no entity of type '${request.params.type}' (${type})`);
    const attributes = new Map<string, Set<string>>();
    for (const { attribute, kind } of store.typeAttributes(type)) {
      attributes.set(attribute, (attributes.get(attribute) ?? new Set()).add(kind));
    }
    return sendCompacted(reply, media, context, {
      id: type,
      type: 'EntityTypeInfo',
      typeName: context.compactIri(type),
      entityCount: count,
      attributeDetails: [...attributes].map(([attribute, kinds]) => ({
        id: attribute,
        type: 'Attribute',
        attributeName: context.compactIri(attribute),
        attributeTypes: [...kinds].sort(),
      })),
    });
  });

  const describeAttribute = (
    store: ReturnType<typeof entities.store.tenant>,
    context: NgsiLdContext,
    attribute: string,
    rows: Array<{ kind: string; count: number }>,
  ) => ({
    id: attribute,
    type: 'Attribute',
    attributeName: context.compactIri(attribute),
    attributeCount: rows.reduce((sum, row) => sum + row.count, 0),
    attributeTypes: rows.map((row) => row.kind).sort(),
    typeNames: store.attributeTypes(attribute).map((type) => context.compactIri(type)),
  });

  app.get('/attributes', async (request, reply) => {
    const parameters = readParameters(request, ['details', 'local']);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const store = entities.store.tenant(tenant, false);
    const grouped = new Map<string, Array<{ kind: string; count: number }>>();
    for (const row of store.attributeSummary())
      grouped.set(row.attribute, [...(grouped.get(row.attribute) ?? []), row]);
    if (parameters.details === 'true') {
      return sendCompacted(
        reply,
        media,
        context,
        [...grouped].map(([attribute, rows]) => describeAttribute(store, context, attribute, rows)),
      );
    }
    return sendCompacted(reply, media, context, {
      id: `urn:ngsi-ld:AttributeList:${randomUUID()}`,
      type: 'AttributeList',
      attributeList: [...grouped.keys()].map((attribute) => context.compactIri(attribute)),
    });
  });

  app.get<{ Params: { attr: string } }>('/attributes/:attr', async (request, reply) => {
    readParameters(request, ['local']);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const store = entities.store.tenant(tenant, false);
    const attribute = context.expandTerm(request.params.attr);
    const rows = store.attributeSummary().filter((row) => row.attribute === attribute);
    if (rows.length === 0)
      throw resourceNotFound(`no entity has attribute '${request.params.attr}' (${attribute})`);
    return sendCompacted(reply, media, context, describeAttribute(store, context, attribute, rows));
  });

  // ---------- subscriptions ----------
  app.post('/subscriptions', async (request, reply) => {
    readParameters(request, []);
    const { tenant, body, contextValue } = await read(request);
    requireBody(body);
    if (typeof body !== 'object' || Array.isArray(body))
      throw badRequestData('a subscription must be a JSON object');
    const id = await subscriptions.create(tenant, body as Record<string, unknown>, contextValue);
    return reply
      .code(201)
      .header('location', `${BASE}/subscriptions/${encodeURIComponent(id)}`)
      .send();
  });

  app.get('/subscriptions', async (request, reply) => {
    const parameters = readParameters(request, ['limit', 'offset', 'count']);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const { limit, offset, count } = readPage(parameters, options);
    const all = await subscriptions.list(tenant);
    if (count) reply.header('NGSILD-Results-Count', String(all.length));
    return sendCompacted(
      reply,
      media,
      context,
      all.slice(offset, offset + limit).map(({ document }) => document),
    );
  });

  app.get<{ Params: { id: string } }>('/subscriptions/:id', async (request, reply) => {
    readParameters(request, []);
    const { tenant } = await read(request);
    const media = negotiate(request, false);
    const { document, context } = await subscriptions.get(tenant, request.params.id);
    return sendCompacted(reply, media, context, document);
  });

  app.patch<{ Params: { id: string } }>('/subscriptions/:id', async (request, reply) => {
    readParameters(request, []);
    const { tenant, body, contextValue } = await read(request);
    requireBody(body);
    if (typeof body !== 'object' || Array.isArray(body))
      throw badRequestData('the body must be a JSON object');
    await subscriptions.update(tenant, request.params.id, body as Record<string, unknown>, contextValue);
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>('/subscriptions/:id', async (request, reply) => {
    readParameters(request, []);
    const { tenant } = await read(request);
    await subscriptions.delete(tenant, request.params.id);
    return reply.code(204).send();
  });

  // ---------- temporal ----------
  const TEMPORAL_PARAMETERS = [
    'timerel',
    'timeAt',
    'endTimeAt',
    'timeproperty',
    'lastN',
    'attrs',
    'options',
    'format',
    'aggrMethods',
    'aggrPeriodDuration',
    'local',
    'lang',
  ];

  app.get<{ Params: { id: string } }>('/temporal/entities/:id', async (request, reply) => {
    const parameters = readParameters(request, TEMPORAL_PARAMETERS);
    const { tenant, context } = await read(request);
    const media = negotiate(request, false);
    const id = checkEntityId(request.params.id, 'entity id');
    const query = parseTemporalQuery(
      parameters,
      new Set(splitList(parameters.options, 'options') ?? []),
      context,
    );
    const store = entities.store.tenant(tenant, false);
    return sendCompacted(reply, media, context, requireTemporalEntity(store, id, query, context));
  });

  const temporalQuery = async (
    request: FastifyRequest,
    reply: FastifyReply,
    brokerRequest: BrokerRequest,
    parameters: Record<string, string | undefined>,
    selection: { types?: string; ids?: string[] },
  ) => {
    const { tenant, context } = brokerRequest;
    const media = negotiate(request, false);
    if (!selection.types && !selection.ids && !parameters.attrs) {
      throw badRequestData('a temporal query needs type, id or attrs (too broad query)');
    }
    const query = parseTemporalQuery(
      parameters,
      new Set(splitList(parameters.options, 'options') ?? []),
      context,
    );
    if (!query.timerel && !query.lastN)
      throw badRequestData('a temporal query needs timerel and timeAt, or lastN');
    const { limit, offset, count } = readPage(parameters, options);
    const store = entities.store.tenant(tenant, false);
    const types = selection.types ? expandTypes(selection.types.split(','), context) : undefined;
    const results = [];
    for (const id of temporalEntityIds(store, types, selection.ids)) {
      const entity = readTemporalEntity(store, id, query, context);
      if (entity && Object.keys(entity).length > 2) results.push(entity);
    }
    if (count) reply.header('NGSILD-Results-Count', String(results.length));
    return sendCompacted(reply, media, context, results.slice(offset, offset + limit));
  };

  app.get('/temporal/entities', async (request, reply) => {
    const parameters = readParameters(request, [
      ...TEMPORAL_PARAMETERS,
      'type',
      'id',
      'limit',
      'offset',
      'count',
    ]);
    const brokerRequest = await read(request);
    return temporalQuery(request, reply, brokerRequest, parameters, {
      types: parameters.type,
      ids: splitList(parameters.id, 'id'),
    });
  });

  app.post('/temporal/entityOperations/query', async (request, reply) => {
    const parameters = readParameters(request, [
      'limit',
      'offset',
      'count',
      'options',
      'format',
      'lastN',
      'local',
    ]);
    const brokerRequest = await read(request);
    const body = brokerRequest.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || body.type !== 'Query')
      throw badRequestData('the body must be a Query object');
    const temporalQ = (body.temporalQ ?? {}) as Record<string, unknown>;
    const selectors = (body.entities as Array<{ type?: string; id?: string }> | undefined) ?? [];
    const merged: Record<string, string | undefined> = {
      ...parameters,
      timerel: temporalQ.timerel as string | undefined,
      timeAt: temporalQ.timeAt as string | undefined,
      endTimeAt: temporalQ.endTimeAt as string | undefined,
      timeproperty: temporalQ.timeproperty as string | undefined,
      attrs: Array.isArray(body.attrs) ? (body.attrs as string[]).join(',') : undefined,
      aggrMethods: Array.isArray(temporalQ.aggrMethods)
        ? (temporalQ.aggrMethods as string[]).join(',')
        : undefined,
      aggrPeriodDuration: temporalQ.aggrPeriodDuration as string | undefined,
      lastN: parameters.lastN ?? (temporalQ.lastN !== undefined ? String(temporalQ.lastN) : undefined),
    };
    const types = selectors
      .map((selector) => selector.type)
      .filter(Boolean)
      .join(',');
    const ids = selectors.map((selector) => selector.id).filter(Boolean) as string[];
    return temporalQuery(request, reply, brokerRequest, merged, {
      types: types || undefined,
      ids: ids.length ? ids : undefined,
    });
  });

  /** Runs an entity query (GET /entities and POST /entityOperations/query). */
  async function runQuery(
    reply: FastifyReply,
    { tenant, context }: BrokerRequest,
    media: ReturnType<typeof negotiate>,
    parameters: Record<string, string | undefined>,
    selection: {
      ids?: string[];
      idPattern?: string;
      type?: string;
      attrs?: string;
      q?: string;
      geo: GeoQueryInput;
      selectors?: EntitySelector[];
    },
  ): Promise<FastifyReply> {
    rejectUnsupported(parameters);
    checkProfileParameters({ ...parameters, georel: selection.geo.georel as string | undefined });
    const { limit, offset, count } = readPage(parameters, { ...options, limitError: profile.limitError });
    const render = readRenderOptions({ ...parameters, attrs: selection.attrs }, context, media);
    const filter = buildEntityFilter(
      {
        ids: selection.ids,
        idPattern: selection.idPattern,
        types: selection.type !== undefined ? splitList(selection.type, 'type') : undefined,
        attributes: render.attributes && selection.attrs !== undefined ? [...render.attributes] : undefined,
        q: selection.q,
        geo: selection.geo,
        selectors: selection.selectors,
      },
      context,
    );
    const local = parameters.local === 'true';
    if (
      !filter.ids &&
      !filter.idPattern &&
      !filter.types &&
      !filter.attributes &&
      !filter.test &&
      !filter.geo &&
      !local
    ) {
      throw new ApiError(
        400,
        'too broad query: give at least one of type, id, idPattern, attrs, q, a geo-query or local=true',
        { type: errorTypeUri('BadRequestData'), title: profile.tooBroadTitle },
      );
    }
    const store = entities.store.tenant(tenant, false);
    const nextLinks = profile.nextLinks && reply.request.method === 'GET';
    // A next link needs to know whether more entities follow: ask the store for one more than the page.
    const page = store.queryEntities(filter, { limit: nextLinks ? limit + 1 : limit, offset, count });
    if (count) reply.header('NGSILD-Results-Count', String(page.count));
    if (nextLinks && page.entities.length > limit) {
      page.entities = page.entities.slice(0, limit);
      const next = new URL(reply.request.url, 'http://broker');
      next.searchParams.set('offset', String(offset + limit));
      next.searchParams.set('limit', String(limit));
      reply.header('link', `<${next.pathname}${next.search}>; rel="next"; type="application/ld+json"`);
    }
    if (media === 'application/geo+json') {
      const perFeature = profile.geoJsonContext === 'feature';
      const features = page.entities.map((entity) => {
        const feature = renderFeature(entity, context, {
          ...render,
          geometryProperty: render.geometryProperty,
          featureContext: perFeature ? context.bodyContext() : undefined,
        });
        if (profile.omitAbsentGeometry && feature.geometry === null) delete feature.geometry;
        return feature;
      });
      const collection: Record<string, unknown> = { type: 'FeatureCollection', features };
      return sendGeoJson(reply.request, reply, context, collection, !perFeature);
    }
    return sendCompacted(
      reply,
      media,
      context,
      page.entities.map((entity) => renderEntity(entity, context, render)),
    );
  }
}

/** Parameters of the spec this broker parses but does not implement: 501 instead of silently ignoring them. */
function rejectUnsupported(parameters: Record<string, string | undefined>): void {
  for (const name of ['scopeQ', 'csf', 'datasetId']) {
    if (parameters[name] !== undefined) {
      throw ngsiLdError(
        'NotImplemented',
        `the embedded broker does not implement the '${name}' query parameter`,
      );
    }
  }
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}

function readPage(
  parameters: Record<string, string | undefined>,
  options: {
    defaultLimit: number;
    maxLimit: number;
    /** The profile's error above the maximum (default 403 TooManyResults). */
    limitError?: (limit: number, maxLimit: number) => ApiError;
  },
) {
  const limitText = parameters.limit;
  const offsetText = parameters.offset;
  const count = parameters.count === 'true';
  if (parameters.count !== undefined && parameters.count !== 'true' && parameters.count !== 'false') {
    throw badRequestData(`count '${parameters.count}' is not true or false`);
  }
  if (limitText !== undefined && !/^\d+$/.test(limitText))
    throw badRequestData(`limit '${limitText}' is not a whole number >= 0`);
  if (offsetText !== undefined && !/^\d+$/.test(offsetText))
    throw badRequestData(`offset '${offsetText}' is not a whole number >= 0`);
  const limit = limitText === undefined ? options.defaultLimit : Number(limitText);
  if (limit > options.maxLimit) {
    if (options.limitError) throw options.limitError(limit, options.maxLimit);
    throw ngsiLdError(
      'TooManyResults',
      `limit ${limit} is above this broker's maximum of ${options.maxLimit}; page with offset`,
    );
  }
  if (limit === 0 && !count) throw badRequestData('limit=0 is allowed only together with count=true');
  return { limit, offset: offsetText === undefined ? 0 : Number(offsetText), count };
}

interface RequestRender extends RenderOptions {
  geometryProperty: string;
}

function readRenderOptions(
  parameters: Record<string, string | undefined>,
  context: NgsiLdContext,
  media: string,
): RequestRender {
  const optionList = splitList(parameters.options, 'options') ?? [];
  for (const option of optionList) {
    if (
      ![
        'keyValues',
        'sysAttrs',
        'concise',
        'normalized',
        'simplified',
        'noOverwrite',
        'update',
        'replace',
      ].includes(option)
    ) {
      throw badRequestData(`options '${option}' is not keyValues, concise, normalized or sysAttrs`);
    }
  }
  let format: EntityFormat =
    optionList.includes('keyValues') || optionList.includes('simplified')
      ? 'keyValues'
      : optionList.includes('concise')
        ? 'concise'
        : 'normalized';
  if (parameters.format !== undefined) {
    const chosen = FORMATS[parameters.format];
    if (!chosen)
      throw badRequestData(
        `format '${parameters.format}' is not normalized, concise, keyValues or simplified`,
      );
    format = chosen;
  }
  if (parameters.geometryProperty !== undefined && media !== 'application/geo+json') {
    throw badRequestData('geometryProperty is only valid with Accept: application/geo+json');
  }
  const render: RequestRender = {
    format,
    sysAttrs: optionList.includes('sysAttrs'),
    geometryProperty: context.expandTerm(parameters.geometryProperty ?? 'location'),
    lang: parameters.lang,
  };
  Object.assign(
    render,
    projectionOptions(
      {
        attrs: splitList(parameters.attrs, 'attrs'),
        pick: splitList(parameters.pick, 'pick'),
        omit: splitList(parameters.omit, 'omit'),
      },
      context,
    ),
  );
  return render;
}

/** GeoJSON bodies: @context in the body unless `Prefer: body=json` moves it to the Link header (clause 6.3.6). */
function sendGeoJson(
  request: FastifyRequest,
  reply: FastifyReply,
  context: NgsiLdContext,
  body: Record<string, unknown>,
  /** Whether a FeatureCollection carries the @context (false where each Feature does). */
  collectionContext = true,
): FastifyReply {
  const prefer = request.headers.prefer;
  if (typeof prefer === 'string' && /body=json/.test(prefer)) {
    delete body['@context'];
    if (Array.isArray(body.features))
      for (const feature of body.features as Array<Record<string, unknown>>) delete feature['@context'];
    const existing = reply.getHeader('link');
    reply.header('link', existing ? `${String(existing)}, ${context.linkHeader()}` : context.linkHeader());
  } else if (body.type === 'FeatureCollection' && collectionContext) {
    body['@context'] = context.bodyContext();
  }
  return reply.code(200).type('application/geo+json').send(body);
}

function sendAttributeResult(
  reply: FastifyReply,
  context: NgsiLdContext,
  result: { updated: string[]; notUpdated: Array<{ attribute: string; reason: string }> },
): FastifyReply {
  if (result.notUpdated.length === 0) return reply.code(204).send();
  return reply
    .code(207)
    .type('application/json')
    .send({
      updated: result.updated.map((attribute) => context.compactIri(attribute)),
      notUpdated: result.notUpdated.map(({ attribute, reason }) => ({
        attributeName: context.compactIri(attribute),
        reason,
      })),
    });
}

/** A partial attribute without a type (PATCH .../attrs/{attr}): only the known members, checked lightly. */
function readFragment(
  record: Record<string, unknown>,
  name: string,
  context: NgsiLdContext,
  now: string,
): Partial<StoredAttribute> {
  const probe = { type: 'Property', value: 0, ...record };
  const checked = readEntityInput({ [name]: probe }, context, { requireIdentity: false, now }).attributes[
    context.expandTerm(name)
  ][0];
  const fragment: Partial<StoredAttribute> = { modifiedAt: now };
  for (const key of Object.keys(record)) {
    const member = key in checked ? key : context.expandTerm(key);
    if (member in checked) fragment[member] = checked[member];
  }
  return fragment;
}
