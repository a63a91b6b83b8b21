// The OpenAPI 3.0 document of Plaza's OGC API, generated from the configured collections: explicit paths per
// collection (as the OGC test suite derives its test points from them) declaring every parameter Plaza accepts.
import type { ProviderDescription } from '../providers/provider';
import type { CollectionEntry } from './catalog';
import { DEFAULT_LIMIT, MAXIMUM_LIMIT } from './parameters';

/** What the generator needs per collection. */
export interface OpenApiCollection {
  entry: CollectionEntry;
  description?: ProviderDescription;
}

const form = { style: 'form', explode: false, required: false, in: 'query' } as const;

function commonParameters(filterEnabled: boolean): Record<string, unknown> {
  const parameters: Record<string, unknown> = {
    f: {
      name: 'f',
      ...form,
      description: 'Output format; overrides Accept.',
      schema: { type: 'string', enum: ['json', 'html'] },
    },
    limit: {
      name: 'limit',
      ...form,
      description: `Most features per page; values above ${MAXIMUM_LIMIT} are clamped.`,
      schema: { type: 'integer', minimum: 1, maximum: MAXIMUM_LIMIT, default: DEFAULT_LIMIT },
    },
    offset: {
      name: 'offset',
      ...form,
      description: 'Features to skip.',
      schema: { type: 'integer', minimum: 0, default: 0 },
    },
    cursor: {
      name: 'cursor',
      ...form,
      description: 'Opaque position of the next page, written by the server in next links.',
      schema: { type: 'string' },
    },
    bbox: {
      name: 'bbox',
      ...form,
      description:
        'minx,miny,maxx,maxy (or with heights: minx,miny,minz,maxx,maxy,maxz) in bbox-crs (default CRS84); minx > maxx crosses the antimeridian.',
      schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
    },
    'bbox-crs': {
      name: 'bbox-crs',
      ...form,
      description: 'CRS of bbox.',
      schema: { type: 'string', format: 'uri' },
    },
    datetime: {
      name: 'datetime',
      ...form,
      description: 'RFC 3339 instant or interval (open ends: .. or empty).',
      schema: { type: 'string' },
    },
    crs: { name: 'crs', ...form, description: 'Output CRS.', schema: { type: 'string', format: 'uri' } },
    properties: {
      name: 'properties',
      ...form,
      description: 'Properties to include.',
      schema: { type: 'array', items: { type: 'string' } },
    },
    skipGeometry: {
      name: 'skipGeometry',
      ...form,
      description: 'Leave geometries out.',
      schema: { type: 'boolean', default: false },
    },
    sortby: {
      name: 'sortby',
      ...form,
      description: 'Comma list of [+|-]property.',
      schema: { type: 'array', minItems: 1, items: { type: 'string', pattern: '[+|-]?[A-Za-z_].*' } },
    },
    featureId: {
      name: 'featureId',
      in: 'path',
      required: true,
      description: 'Feature id.',
      schema: { type: 'string' },
    },
  };
  if (filterEnabled) {
    parameters.filter = { name: 'filter', ...form, description: 'CQL2 filter.', schema: { type: 'string' } };
    parameters['filter-lang'] = {
      name: 'filter-lang',
      ...form,
      description: 'Language of filter; cql-text is accepted as a synonym of cql2-text (GDAL 3.6 sends it).',
      schema: { type: 'string', enum: ['cql2-text', 'cql2-json', 'cql-text'], default: 'cql2-text' },
    };
    parameters['filter-crs'] = {
      name: 'filter-crs',
      ...form,
      description: 'CRS of filter geometries.',
      schema: { type: 'string', format: 'uri' },
    };
  }
  return parameters;
}

const reference = (name: string) => ({ $ref: `#/components/parameters/${name}` });

const errorResponses = {
  '400': {
    description: 'Invalid parameter',
    content: { 'application/problem+json': { schema: { type: 'object' } } },
  },
  '404': {
    description: 'Not found',
    content: { 'application/problem+json': { schema: { type: 'object' } } },
  },
  '406': {
    description: 'Not acceptable',
    content: { 'application/problem+json': { schema: { type: 'object' } } },
  },
};

function jsonAndHtml(description: string, jsonType = 'application/json') {
  return {
    '200': {
      description,
      content: { [jsonType]: { schema: { type: 'object' } }, 'text/html': { schema: { type: 'string' } } },
    },
    ...errorResponses,
  };
}

/**
 * Builds the OpenAPI 3.0.3 document.
 * @param baseUrl - public URL of the OGC API landing page (servers[0].url)
 */
export function buildOpenApi(
  baseUrl: string,
  collections: OpenApiCollection[],
  filterEnabled: boolean,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/': {
      get: {
        operationId: 'getLandingPage',
        summary: 'Landing page',
        tags: ['Capabilities'],
        parameters: [reference('f')],
        responses: jsonAndHtml('Landing page'),
      },
    },
    '/conformance': {
      get: {
        operationId: 'getConformance',
        summary: 'Conformance classes',
        tags: ['Capabilities'],
        parameters: [reference('f')],
        responses: jsonAndHtml('Conformance'),
      },
    },
    '/api': {
      get: {
        operationId: 'getApi',
        summary: 'This document',
        tags: ['Capabilities'],
        parameters: [reference('f')],
        responses: {
          '200': {
            description: 'OpenAPI document',
            content: {
              'application/vnd.oai.openapi+json;version=3.0': { schema: { type: 'object' } },
              'text/html': { schema: { type: 'string' } },
            },
          },
        },
      },
    },
    '/collections': {
      get: {
        operationId: 'getCollections',
        summary: 'Collections',
        tags: ['Capabilities'],
        parameters: [reference('f')],
        responses: jsonAndHtml('Collections'),
      },
    },
  };
  for (const { entry, description } of collections) {
    const id = entry.id;
    const tag = entry.title;
    paths[`/collections/${id}`] = {
      get: {
        operationId: `describeCollection_${id}`,
        summary: `Collection ${entry.title}`,
        tags: [tag],
        parameters: [reference('f')],
        responses: jsonAndHtml('Collection'),
      },
    };
    if (entry.kind !== 'features') continue;
    const queryables = Object.entries(description?.properties ?? {}).map(([name, type]) => ({
      name,
      ...form,
      description: `Features whose ${name} equals this value.`,
      schema: { type: type.type, ...(type.format ? { format: type.format } : {}) },
    }));
    const itemParameters = [
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
      ...(filterEnabled ? ['filter', 'filter-lang', 'filter-crs'] : []),
    ].map(reference);
    paths[`/collections/${id}/items`] = {
      get: {
        operationId: `getFeatures_${id}`,
        summary: `Features of ${entry.title}`,
        tags: [tag],
        parameters: [...itemParameters, ...queryables],
        responses: jsonAndHtml('Features', 'application/geo+json'),
      },
    };
    paths[`/collections/${id}/items/{featureId}`] = {
      get: {
        operationId: `getFeature_${id}`,
        summary: `One feature of ${entry.title}`,
        tags: [tag],
        parameters: [
          reference('featureId'),
          reference('f'),
          reference('crs'),
          reference('properties'),
          reference('skipGeometry'),
        ],
        responses: jsonAndHtml('Feature', 'application/geo+json'),
      },
    };
    paths[`/collections/${id}/queryables`] = {
      get: {
        operationId: `getQueryables_${id}`,
        summary: `Queryables of ${entry.title}`,
        tags: [tag],
        parameters: [reference('f')],
        responses: jsonAndHtml('Queryables', 'application/schema+json'),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Plaza OGC API',
      version: '1.0.0',
      description: 'OGC API Features (Parts 1-3) and 3D GeoVolumes of the Plaza city digital twin.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: [{ url: baseUrl }],
    tags: [{ name: 'Capabilities' }, ...collections.map(({ entry }) => ({ name: entry.title }))],
    paths,
    components: { parameters: commonParameters(filterEnabled) },
  };
}
