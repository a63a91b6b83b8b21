// The OGC API Features resources as framework-free functions of (request facts) -> (status, type, body), and their
// Fastify routes. Mounted at /ogc (landing page; the canonical base every link uses) and, for clients that are given
// the server root, also at /collections, /conformance and /api: `/` itself is the viewer app.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Geometry } from 'geojson';
import { ApiError, notFound } from '../http/errors';
import {
  ProviderError,
  type FeaturePredicate,
  type FeatureQuery,
  type PlazaFeature,
  type ProviderDescription,
} from '../providers/provider';
import type { CollectionCatalog, CollectionEntry, FeatureCollectionEntry } from './catalog';
import { BASE_CONFORMANCE, filterConformance } from './conformance';
import { CRS84, CRS84H, collectionCrsList, crsUri, createOutputTransform, type OgcCrs } from './crs';
import { anchor, escapeHtml, formatValue, renderFacts, renderPage, renderTable, type HtmlLink } from './html';
import { buildOpenApi } from './openapi';
import { versionedTilesetHref } from '../http/tileset-cache';
import { sendTilesetFile } from './tilesets';
import {
  checkParameterNames,
  invalidParameter,
  negotiateFormat,
  parseBbox,
  parseBoolean,
  parseDatetime,
  parseLimit,
  parseOffset,
  parseOutputCrs,
  parseProperties,
  parseSortBy,
  single,
  type OutputFormat,
  type RawQuery,
} from './parameters';

/** Where the OGC API lives; every link points below it. */
export const OGC_BASE_PATH = '/ogc';

const OPENAPI_TYPE = 'application/vnd.oai.openapi+json;version=3.0';
const GEOJSON_TYPE = 'application/geo+json';
const SCHEMA_TYPE = 'application/schema+json';
const QUERYABLES_REL = 'http://www.opengis.net/def/rel/ogc/1.0/queryables';
const GEOVOLUMES_REL = 'http://www.opengis.net/def/rel/ogc/1.0/3d-geovolumes';
const TILES_3D_TYPE = 'application/3dtiles+json';

/** Parameters of the items resource besides the queryables. */
const ITEM_PARAMETERS = [
  'f',
  'limit',
  'offset',
  'cursor',
  'bbox',
  'bbox-crs',
  'datetime',
  'crs',
  'properties',
  'skipGeometry',
  'sortby',
];
const FILTER_PARAMETERS = ['filter', 'filter-lang', 'filter-crs'];

/** Turns a CQL2 filter into a predicate; supplied once the CQL2 engine is present. */
export interface FilterEngine {
  /**
   * Parses a filter for a collection.
   * @throws ApiError 400 naming filter, filter-lang or filter-crs
   */
  createPredicate(
    filter: string,
    /** `cql2-text`, `cql2-json` or `cql-text` (GDAL 3.6's name, read as CQL2 text with legacy forms). */
    language: string,
    filterCrs: string | undefined,
    description: ProviderDescription,
  ): FeaturePredicate;
  /** Combines predicates with AND (for query-parameter equality and filter). */
  combine(predicates: FeaturePredicate[]): FeaturePredicate;
}

/** Options of {@link OgcService}. */
export interface OgcServiceOptions {
  catalog: CollectionCatalog;
  /** Bearer token that reveals internal collections; none hides them. */
  internalToken?: string;
  filterEngine?: FilterEngine;
  /** Looks for collections that appeared since start (NGSI-LD types); called, throttled by the caller, on listings and
   * on unknown ids. */
  refreshCollections?: () => Promise<void>;
}

interface Link {
  href: string;
  rel: string;
  type: string;
  title?: string;
  templated?: boolean;
}

/** The OGC API resources. */
export class OgcService {
  readonly #catalog: CollectionCatalog;
  readonly #token: Buffer | undefined;
  readonly #filterEngine: FilterEngine | undefined;
  readonly #refresh: (() => Promise<void>) | undefined;

  constructor(options: OgcServiceOptions) {
    this.#refresh = options.refreshCollections;
    this.#catalog = options.catalog;
    this.#token = options.internalToken ? Buffer.from(`Bearer ${options.internalToken}`) : undefined;
    this.#filterEngine = options.filterEngine;
  }

  /** Declared conformance classes. */
  conformance(): string[] {
    return [...BASE_CONFORMANCE, ...(this.#filterEngine ? filterConformance() : [])];
  }

  #authorised(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (!this.#token || !header) return false;
    const given = Buffer.from(header);
    return given.length === this.#token.length && timingSafeEqual(given, this.#token);
  }

  #base(request: FastifyRequest): string {
    return `${request.protocol}://${request.headers.host ?? 'localhost'}${OGC_BASE_PATH}`;
  }

  async #entry(request: FastifyRequest, id: string): Promise<CollectionEntry> {
    let entry = this.#catalog.get(id, this.#authorised(request));
    if (!entry && this.#refresh) {
      await this.#refresh();
      entry = this.#catalog.get(id, this.#authorised(request));
    }
    if (!entry) throw notFound(`no collection '${id}'`);
    return entry;
  }

  async #featureEntry(request: FastifyRequest, id: string): Promise<FeatureCollectionEntry> {
    const entry = await this.#entry(request, id);
    if (entry.kind !== 'features')
      throw notFound(`collection '${id}' is a 3D tileset and has no feature items`);
    return entry;
  }

  /** Registers the routes on a Fastify scope. */
  register(app: FastifyInstance): void {
    const routes: [string, (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>][] = [
      ['/conformance', (request, reply) => this.#conformance(request, reply)],
      ['/api', (request, reply) => this.#api(request, reply)],
      ['/collections', (request, reply) => this.#collections(request, reply)],
      ['/collections/:collectionId', (request, reply) => this.#collection(request, reply)],
      ['/collections/:collectionId/items', (request, reply) => this.#items(request, reply)],
      ['/collections/:collectionId/items/:featureId', (request, reply) => this.#item(request, reply)],
      ['/collections/:collectionId/queryables', (request, reply) => this.#queryables(request, reply)],
    ];
    routes.push([
      '/collections/:collectionId/3dtiles/*',
      (request, reply) => this.#tilesetFile(request, reply),
    ]);
    app.get(OGC_BASE_PATH, (request, reply) => this.#landing(request, reply));
    for (const [path, handler] of routes) {
      app.get(`${OGC_BASE_PATH}${path}`, handler);
      app.get(path, handler);
    }
  }

  async #tilesetFile(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const params = request.params as { collectionId: string; '*': string };
    const entry = await this.#entry(request, params.collectionId);
    if (entry.kind !== 'tileset') throw notFound(`collection '${entry.id}' is not a 3D tileset`);
    const raw = request.url.split('?')[0];
    const path = raw.slice(raw.indexOf('/3dtiles/') + '/3dtiles/'.length);
    return sendTilesetFile(entry, path, request, reply);
  }

  #format(request: FastifyRequest, allowed: string[]): OutputFormat {
    const query = request.query as RawQuery;
    checkParameterNames(query, allowed);
    return negotiateFormat(single(query, 'f'), request.headers.accept);
  }

  async #landing(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const format = this.#format(request, ['f']);
    const base = this.#base(request);
    const links: Link[] = [
      {
        href: `${base}?f=json`,
        rel: format === 'json' ? 'self' : 'alternate',
        type: 'application/json',
        title: 'This document',
      },
      {
        href: `${base}?f=html`,
        rel: format === 'html' ? 'self' : 'alternate',
        type: 'text/html',
        title: 'This document as HTML',
      },
      {
        href: `${base}/api`,
        rel: 'service-desc',
        type: OPENAPI_TYPE,
        title: 'The API definition (OpenAPI 3.0)',
      },
      { href: `${base}/api?f=html`, rel: 'service-doc', type: 'text/html', title: 'The API documentation' },
      {
        href: `${base}/conformance`,
        rel: 'conformance',
        type: 'application/json',
        title: 'Conformance classes',
      },
      {
        href: `${base}/conformance`,
        rel: 'http://www.opengis.net/def/rel/ogc/1.0/conformance',
        type: 'application/json',
        title: 'Conformance classes',
      },
      { href: `${base}/collections`, rel: 'data', type: 'application/json', title: 'Collections' },
      {
        href: `${base}/collections`,
        rel: 'http://www.opengis.net/def/rel/ogc/1.0/data',
        type: 'application/json',
        title: 'Collections',
      },
    ];
    const body = {
      title: 'Plaza OGC API',
      description: 'Open city data of the Plaza digital twin: OGC API Features and 3D GeoVolumes.',
      links,
    };
    if (format === 'json') return reply.type('application/json').send(body);
    const html = renderPage(
      body.title,
      [{ href: base, label: 'Plaza OGC API' }],
      `<p>${escapeHtml(body.description)}</p><ul>` +
        `<li>${anchor(`${base}/collections?f=html`, 'Collections')}</li>` +
        `<li>${anchor(`${base}/conformance?f=html`, 'Conformance classes')}</li>` +
        `<li>${anchor(`${base}/api?f=html`, 'API documentation')} (${anchor(`${base}/api`, 'OpenAPI 3.0 JSON')})</li>` +
        `<li>${anchor('/', 'Open the Plaza viewer')}</li></ul>`,
      `${base}?f=json`,
    );
    return reply.type('text/html; charset=utf-8').send(html);
  }

  async #conformance(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const format = this.#format(request, ['f']);
    const conformsTo = this.conformance();
    if (format === 'json') return reply.type('application/json').send({ conformsTo });
    const base = this.#base(request);
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        'Conformance classes',
        [
          { href: `${base}?f=html`, label: 'Plaza OGC API' },
          { href: '', label: 'Conformance' },
        ],
        `<ul>${conformsTo.map((uri) => `<li><code>${escapeHtml(uri)}</code></li>`).join('')}</ul>`,
        `${base}/conformance?f=json`,
      ),
    );
  }

  async #describedCollections(request: FastifyRequest) {
    await this.#refresh?.();
    const entries = this.#catalog.list(this.#authorised(request));
    return Promise.all(
      entries.map(async (entry) => ({
        entry,
        description: entry.kind === 'features' ? await this.#describe(entry) : undefined,
      })),
    );
  }

  async #describe(entry: FeatureCollectionEntry): Promise<ProviderDescription> {
    try {
      return await this.#catalog.describe(entry);
    } catch (error) {
      throw new ApiError(503, `collection '${entry.id}' is unavailable: ${(error as Error).message}`, {
        code: 'ServiceUnavailable',
      });
    }
  }

  async #api(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const format = this.#format(request, ['f']);
    const base = this.#base(request);
    const document = buildOpenApi(
      base,
      await this.#describedCollections(request),
      this.#filterEngine !== undefined,
    );
    if (format === 'json') {
      // A Buffer keeps the type verbatim: for strings Fastify rewrites it as `version="3.0"; charset=utf-8`.
      return reply.header('content-type', OPENAPI_TYPE).send(Buffer.from(JSON.stringify(document)));
    }
    const paths = Object.entries(
      document.paths as Record<
        string,
        { get: { summary: string; parameters: { $ref?: string; name?: string }[] } }
      >,
    );
    const rows = paths.map(([path, item]) => [
      `<code>GET ${escapeHtml(path)}</code>`,
      escapeHtml(item.get.summary),
      escapeHtml(
        item.get.parameters.map((parameter) => parameter.name ?? parameter.$ref?.split('/').pop()).join(', '),
      ),
    ]);
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        'API documentation',
        [
          { href: `${base}?f=html`, label: 'Plaza OGC API' },
          { href: '', label: 'API' },
        ],
        `<p>Server: <code>${escapeHtml(base)}</code>. The machine-readable definition is ${anchor(`${base}/api?f=json`, 'OpenAPI 3.0 JSON')}.</p>` +
          renderTable('Operations', ['Path', 'Summary', 'Query parameters'], rows),
        `${base}/api?f=json`,
      ),
    );
  }

  #collectionJson(
    base: string,
    entry: CollectionEntry,
    description: ProviderDescription | undefined,
  ): Record<string, unknown> {
    const href = `${base}/collections/${encodeURIComponent(entry.id)}`;
    const links: Link[] = [
      { href: `${href}?f=json`, rel: 'self', type: 'application/json', title: 'This collection' },
      { href: `${href}?f=html`, rel: 'alternate', type: 'text/html', title: 'This collection as HTML' },
    ];
    const collection: Record<string, unknown> = { id: entry.id, title: entry.title };
    if (entry.description) collection.description = entry.description;
    if (entry.keywords) collection.keywords = entry.keywords;
    if (entry.kind === 'features') {
      links.push(
        { href: `${href}/items?f=json`, rel: 'items', type: GEOJSON_TYPE, title: 'Features as GeoJSON' },
        { href: `${href}/items?f=html`, rel: 'items', type: 'text/html', title: 'Features as HTML' },
        { href: `${href}/queryables?f=json`, rel: QUERYABLES_REL, type: SCHEMA_TYPE, title: 'Queryables' },
        { href: `${href}/queryables?f=json`, rel: 'queryables', type: SCHEMA_TYPE, title: 'Queryables' },
      );
      const extent: Record<string, unknown> = {};
      if (description?.bbox) extent.spatial = { bbox: [description.bbox], crs: CRS84 };
      if (description?.interval) {
        extent.temporal = {
          interval: [description.interval],
          trs: 'http://www.opengis.net/def/uri/ISO-8601/0/Gregorian',
        };
      }
      if (Object.keys(extent).length) collection.extent = extent;
      collection.itemType = 'feature';
      collection.crs = collectionCrsList(description?.storageEpsg ?? 4326);
      collection.storageCrs = crsUri(description?.storageEpsg ?? 4326);
    } else {
      const tilesetHref = versionedTilesetHref(`${href}/3dtiles`, entry.directory);
      links.push({
        href: tilesetHref,
        rel: GEOVOLUMES_REL,
        type: TILES_3D_TYPE,
        title: '3D Tiles tileset',
      });
      links.push({
        href: tilesetHref,
        rel: 'items',
        type: TILES_3D_TYPE,
        title: '3D Tiles tileset',
      });
      if (entry.bbox) collection.extent = { spatial: { bbox: [entry.bbox], crs: CRS84H } };
      collection.itemType = '3d-tiles';
      collection.crs = [CRS84H];
    }
    collection.links = links;
    collection['plaza:viewer'] = `/?layer=${encodeURIComponent(entry.id)}`;
    if (entry.style) collection['plaza:style'] = entry.style;
    return collection;
  }

  async #collections(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const format = this.#format(request, ['f']);
    const base = this.#base(request);
    const described = await this.#describedCollections(request);
    const collections = described.map(({ entry, description }) =>
      this.#collectionJson(base, entry, description),
    );
    if (format === 'json') {
      return reply.type('application/json').send({
        links: [
          { href: `${base}/collections?f=json`, rel: 'self', type: 'application/json', title: 'Collections' },
          {
            href: `${base}/collections?f=html`,
            rel: 'alternate',
            type: 'text/html',
            title: 'Collections as HTML',
          },
        ],
        crs: [CRS84, ...collectionCrsList(4326).slice(1)],
        collections,
      });
    }
    const rows = described.map(({ entry, description }) => [
      anchor(`${base}/collections/${encodeURIComponent(entry.id)}?f=html`, entry.title),
      escapeHtml(entry.description ?? ''),
      entry.kind === 'features' ? `${escapeHtml(description?.count ?? '')} features` : '3D tileset',
      anchor(`/?layer=${encodeURIComponent(entry.id)}`, `Open ${entry.title} in the viewer`),
    ]);
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        'Collections',
        [
          { href: `${base}?f=html`, label: 'Plaza OGC API' },
          { href: '', label: 'Collections' },
        ],
        renderTable('Collections', ['Collection', 'Description', 'Content', 'Viewer'], rows),
        `${base}/collections?f=json`,
      ),
    );
  }

  async #collection(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { collectionId } = request.params as { collectionId: string };
    const format = this.#format(request, ['f']);
    const entry = await this.#entry(request, collectionId);
    const description = entry.kind === 'features' ? await this.#describe(entry) : undefined;
    const base = this.#base(request);
    const json = this.#collectionJson(base, entry, description);
    if (format === 'json') return reply.type('application/json').send(json);
    const href = `${base}/collections/${encodeURIComponent(entry.id)}`;
    const facts: [string, string][] = [['Identifier', `<code>${escapeHtml(entry.id)}</code>`]];
    if (entry.description) facts.push(['Description', escapeHtml(entry.description)]);
    if (description?.bbox) facts.push(['Extent (CRS84)', escapeHtml(description.bbox.join(', '))]);
    if (description?.interval)
      facts.push(['Time', escapeHtml(description.interval.map((value) => value ?? '..').join(' / '))]);
    if (description)
      facts.push(
        ['Features', escapeHtml(description.count ?? 'unknown')],
        ['Geometry', escapeHtml(description.geometryType)],
      );
    if (entry.kind === 'tileset' && entry.bbox)
      facts.push(['Extent (CRS84h)', escapeHtml(entry.bbox.join(', '))]);
    const actions =
      `<p class="actions">${anchor(`/?layer=${encodeURIComponent(entry.id)}`, `Open ${entry.title} in the viewer`)}` +
      (entry.kind === 'features'
        ? `${anchor(`${href}/items?f=html`, 'Browse the features')}${anchor(`${href}/queryables?f=html`, 'Queryables')}`
        : anchor(versionedTilesetHref(`${href}/3dtiles`, entry.directory), '3D Tiles tileset.json')) +
      '</p>';
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        entry.title,
        [
          { href: `${base}?f=html`, label: 'Plaza OGC API' },
          { href: `${base}/collections?f=html`, label: 'Collections' },
          { href: '', label: entry.title },
        ],
        renderFacts(facts) + actions,
        `${href}?f=json`,
      ),
    );
  }

  async #queryables(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { collectionId } = request.params as { collectionId: string };
    const format = this.#format(request, ['f']);
    const entry = await this.#featureEntry(request, collectionId);
    const description = await this.#describe(entry);
    const base = this.#base(request);
    const href = `${base}/collections/${encodeURIComponent(entry.id)}/queryables`;
    const geometryFormat = `geometry-${description.geometryType === 'Geometry' ? 'any' : description.geometryType.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`;
    const properties: Record<string, unknown> = {
      geometry: { title: 'Geometry', format: geometryFormat, 'x-ogc-role': 'primary-geometry' },
    };
    for (const [name, type] of Object.entries(description.properties)) {
      properties[name] = {
        title: type.title ?? name,
        type: type.type,
        ...(type.format ? { format: type.format } : {}),
      };
    }
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: href,
      type: 'object',
      title: entry.title,
      properties,
      additionalProperties: false,
    };
    if (format === 'json') return reply.type(SCHEMA_TYPE).send(schema);
    const rows = Object.entries(properties).map(([name, value]) => {
      const property = value as { type?: string; format?: string };
      return [
        `<code>${escapeHtml(name)}</code>`,
        escapeHtml(property.type ?? ''),
        escapeHtml(property.format ?? ''),
      ];
    });
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        `Queryables of ${entry.title}`,
        [
          { href: `${base}?f=html`, label: 'Plaza OGC API' },
          { href: `${base}/collections?f=html`, label: 'Collections' },
          { href: `${base}/collections/${encodeURIComponent(entry.id)}?f=html`, label: entry.title },
          { href: '', label: 'Queryables' },
        ],
        renderTable('Queryable properties', ['Name', 'Type', 'Format'], rows) +
          `<p class="actions">${anchor(`/?layer=${encodeURIComponent(entry.id)}`, `Open ${entry.title} in the viewer`)}</p>`,
        `${href}?f=json`,
      ),
    );
  }

  /** Builds the provider query and the output options from an items request. */
  #itemsQuery(query: RawQuery, description: ProviderDescription, crsList: string[]) {
    const propertyNames = Object.keys(description.properties);
    const queryableParameters = propertyNames.filter(
      (name) => !ITEM_PARAMETERS.includes(name) && !FILTER_PARAMETERS.includes(name),
    );
    checkParameterNames(query, [
      ...ITEM_PARAMETERS,
      ...(this.#filterEngine ? FILTER_PARAMETERS : []),
      ...queryableParameters,
    ]);
    const providerQuery: FeatureQuery = {
      limit: parseLimit(single(query, 'limit')),
      offset: parseOffset(single(query, 'offset')),
      cursor: single(query, 'cursor'),
      bbox: parseBbox(single(query, 'bbox'), single(query, 'bbox-crs'), crsList),
      datetime: parseDatetime(single(query, 'datetime')),
      sortBy: parseSortBy(single(query, 'sortby'), propertyNames),
    };
    if (providerQuery.cursor !== undefined && !/^[A-Za-z0-9_-]{1,512}$/.test(providerQuery.cursor)) {
      throw invalidParameter('cursor', 'is not a cursor this server wrote');
    }
    const predicates: FeaturePredicate[] = [];
    for (const name of queryableParameters) {
      const value = single(query, name);
      if (value !== undefined) predicates.push(equalityPredicate(name, value, description));
    }
    const filter = single(query, 'filter');
    const language = single(query, 'filter-lang');
    const filterCrs = single(query, 'filter-crs');
    if (filter === undefined && (language !== undefined || filterCrs !== undefined)) {
      throw invalidParameter(language !== undefined ? 'filter-lang' : 'filter-crs', 'given without filter');
    }
    if (filter !== undefined && this.#filterEngine) {
      const lang = language ?? 'cql2-text';
      if (!['cql2-text', 'cql2-json', 'cql-text'].includes(lang)) {
        throw invalidParameter('filter-lang', `'${lang}' is not one of cql2-text, cql2-json, cql-text`);
      }
      predicates.push(this.#filterEngine.createPredicate(filter, lang, filterCrs, description));
    }
    if (predicates.length === 1) providerQuery.filter = predicates[0];
    else if (predicates.length > 1) {
      providerQuery.filter = this.#filterEngine
        ? this.#filterEngine.combine(predicates)
        : combinePredicates(predicates);
    }
    return {
      providerQuery,
      properties: parseProperties(single(query, 'properties'), propertyNames),
      skipGeometry: parseBoolean('skipGeometry', single(query, 'skipGeometry')),
      crs: parseOutputCrs(single(query, 'crs'), crsList),
    };
  }

  async #items(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { collectionId } = request.params as { collectionId: string };
    const query = request.query as RawQuery;
    const entry = await this.#featureEntry(request, collectionId);
    const description = await this.#describe(entry);
    const crsList = collectionCrsList(description.storageEpsg);
    const options = this.#itemsQuery(query, description, crsList);
    const format = negotiateFormat(single(query, 'f'), request.headers.accept);
    let page;
    try {
      page = await entry.provider.queryFeatures(options.providerQuery);
    } catch (error) {
      throw providerFailure(error, entry.id);
    }
    const features = page.features.map((feature) =>
      shapeFeature(feature, options.properties, options.skipGeometry, options.crs),
    );
    const base = this.#base(request);
    const href = `${base}/collections/${encodeURIComponent(entry.id)}/items`;
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (typeof value === 'string' && name !== 'f') search.set(name, value);
    const withFormat = (parameters: URLSearchParams, f: string) => {
      const copy = new URLSearchParams(parameters);
      copy.set('f', f);
      return `${href}?${copy.toString()}`;
    };
    const links: Link[] = [
      {
        href: withFormat(search, 'json'),
        rel: format === 'json' ? 'self' : 'alternate',
        type: GEOJSON_TYPE,
        title: 'This page',
      },
      {
        href: withFormat(search, 'html'),
        rel: format === 'html' ? 'self' : 'alternate',
        type: 'text/html',
        title: 'This page as HTML',
      },
      {
        href: `${base}/collections/${encodeURIComponent(entry.id)}?f=json`,
        rel: 'collection',
        type: 'application/json',
        title: entry.title,
      },
    ];
    let nextSearch: URLSearchParams | undefined;
    if (page.nextCursor) {
      nextSearch = new URLSearchParams(search);
      nextSearch.delete('offset');
      nextSearch.set('cursor', page.nextCursor);
      links.push({
        href: withFormat(nextSearch, 'json'),
        rel: 'next',
        type: GEOJSON_TYPE,
        title: 'Next page',
      });
    }
    if (format === 'json') {
      const body: Record<string, unknown> = {
        type: 'FeatureCollection',
        features,
        links,
        timeStamp: new Date().toISOString(),
      };
      if (page.numberMatched !== undefined) body.numberMatched = page.numberMatched;
      body.numberReturned = features.length;
      return reply
        .type(GEOJSON_TYPE)
        .header('Content-Crs', `<${options.crs.uri}>`)
        .send(JSON.stringify(body));
    }
    const columns = [...new Set(features.flatMap((feature) => Object.keys(feature.properties ?? {})))];
    const rows = features.map((feature) => [
      anchor(`${href}/${encodeURIComponent(String(feature.id))}?f=html`, String(feature.id)),
      ...columns.map((column) => formatValue(feature.properties?.[column])),
    ]);
    const summary =
      `<p>${features.length} feature(s)${page.numberMatched !== undefined ? ` of ${page.numberMatched}` : ''}.</p>` +
      `<p class="actions">${anchor(`/?layer=${encodeURIComponent(entry.id)}`, `Open ${entry.title} in the viewer`)}` +
      (nextSearch ? anchor(withFormat(nextSearch, 'html'), 'Next page') : '') +
      '</p>';
    return reply
      .type('text/html; charset=utf-8')
      .send(
        renderPage(
          `Features of ${entry.title}`,
          this.#crumbs(base, entry, 'Features'),
          summary + renderTable(`Features of ${entry.title}`, ['id', ...columns], rows),
          withFormat(search, 'json'),
        ),
      );
  }

  #crumbs(base: string, entry: CollectionEntry, last: string): HtmlLink[] {
    return [
      { href: `${base}?f=html`, label: 'Plaza OGC API' },
      { href: `${base}/collections?f=html`, label: 'Collections' },
      { href: `${base}/collections/${encodeURIComponent(entry.id)}?f=html`, label: entry.title },
      { href: '', label: last },
    ];
  }

  async #item(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const { collectionId, featureId } = request.params as { collectionId: string; featureId: string };
    const query = request.query as RawQuery;
    checkParameterNames(query, ['f', 'crs', 'properties', 'skipGeometry']);
    const entry = await this.#featureEntry(request, collectionId);
    const description = await this.#describe(entry);
    const crsList = collectionCrsList(description.storageEpsg);
    const crs = parseOutputCrs(single(query, 'crs'), crsList);
    const properties = parseProperties(single(query, 'properties'), Object.keys(description.properties));
    const skipGeometry = parseBoolean('skipGeometry', single(query, 'skipGeometry'));
    const format = negotiateFormat(single(query, 'f'), request.headers.accept);
    let found: PlazaFeature | undefined;
    try {
      found = await entry.provider.getFeature(featureId);
    } catch (error) {
      throw providerFailure(error, entry.id);
    }
    if (!found) throw notFound(`collection '${entry.id}' has no feature '${featureId}'`);
    const feature = shapeFeature(found, properties, skipGeometry, crs);
    const base = this.#base(request);
    const href = `${base}/collections/${encodeURIComponent(entry.id)}/items/${encodeURIComponent(String(found.id))}`;
    const links: Link[] = [
      {
        href: `${href}?f=json`,
        rel: format === 'json' ? 'self' : 'alternate',
        type: GEOJSON_TYPE,
        title: 'This feature',
      },
      {
        href: `${href}?f=html`,
        rel: format === 'html' ? 'self' : 'alternate',
        type: 'text/html',
        title: 'This feature as HTML',
      },
      {
        href: `${base}/collections/${encodeURIComponent(entry.id)}?f=json`,
        rel: 'collection',
        type: 'application/json',
        title: entry.title,
      },
    ];
    if (format === 'json') {
      return reply
        .type(GEOJSON_TYPE)
        .header('Content-Crs', `<${crs.uri}>`)
        .send(JSON.stringify({ ...feature, links }));
    }
    const rows = Object.entries(feature.properties ?? {}).map(([name, value]) => [
      `<code>${escapeHtml(name)}</code>`,
      formatValue(value),
    ]);
    return reply
      .type('text/html; charset=utf-8')
      .send(
        renderPage(
          `Feature ${String(found.id)} of ${entry.title}`,
          this.#crumbs(base, entry, String(found.id)),
          renderTable('Properties', ['Property', 'Value'], rows) +
            `<p>Geometry: ${escapeHtml(feature.geometry?.type ?? 'none')}</p>` +
            `<p class="actions">${anchor(`/?layer=${encodeURIComponent(entry.id)}&feature=${encodeURIComponent(String(found.id))}`, 'Open in the viewer')}</p>`,
          `${href}?f=json`,
        ),
      );
  }
}

function providerFailure(error: unknown, collectionId: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ProviderError) {
    return error.kind === 'bad-request'
      ? new ApiError(400, `invalid value for parameter '${error.parameter}': ${error.message}`, {
          code: 'InvalidParameterValue',
          extensions: { parameter: error.parameter },
        })
      : new ApiError(503, `collection '${collectionId}' is unavailable: ${error.message}`, {
          code: 'ServiceUnavailable',
        });
  }
  return error instanceof Error && 'statusCode' in error
    ? (error as unknown as ApiError)
    : new ApiError(502, `collection '${collectionId}' failed: ${(error as Error).message}`);
}

/** A copy of a feature with selected properties, no geometry or a transformed geometry. */
function shapeFeature(
  feature: PlazaFeature,
  properties: string[] | undefined,
  skipGeometry: boolean,
  crs: OgcCrs,
): PlazaFeature {
  let geometry: Geometry | null = skipGeometry ? null : feature.geometry;
  if (geometry) {
    const transform = createOutputTransform(crs);
    if (transform) geometry = transform(geometry);
  }
  const selected = properties
    ? Object.fromEntries(
        properties
          .filter((name) => name in (feature.properties ?? {}))
          .map((name) => [name, feature.properties[name]]),
      )
    : feature.properties;
  return { type: 'Feature', id: feature.id, geometry, properties: selected };
}

/** `name=value` query parameter as an equality predicate on a queryable (Part 3 queryables-query-parameters). */
function equalityPredicate(name: string, value: string, description: ProviderDescription): FeaturePredicate {
  const type = description.properties[name];
  let expected: unknown = value;
  if (type.type === 'integer' || type.type === 'number') {
    expected = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(expected) ||
      (type.type === 'integer' && !Number.isInteger(expected))
    ) {
      throw invalidParameter(
        name,
        `'${value}' is not ${type.type === 'integer' ? 'a whole number' : 'a number'}`,
      );
    }
  } else if (type.type === 'boolean') {
    if (value !== 'true' && value !== 'false')
      throw invalidParameter(name, `'${value}' is neither true nor false`);
    expected = value === 'true';
  }
  return {
    expression: { op: '=', args: [{ property: name }, expected] },
    evaluate: (feature) => feature.properties?.[name] === expected,
  };
}

function combinePredicates(predicates: FeaturePredicate[]): FeaturePredicate {
  return {
    expression: { op: 'and', args: predicates.map((predicate) => predicate.expression) },
    evaluate: (feature) => predicates.every((predicate) => predicate.evaluate(feature)),
  };
}
