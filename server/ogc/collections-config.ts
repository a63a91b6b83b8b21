// The collections config file (JSON, or YAML for .yaml/.yml): which collections OGC API Features serves, from which provider, public or
// internal, with style hints for the viewer. Validated by one zod schema; `npm run config:check` runs it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import yaml from 'js-yaml';
import { ConfigError } from '../config';

const IDENTIFIER = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected letters, digits, _ . - (max 64)');
const COLOUR = z.string().regex(/^#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?$/, 'expected #rrggbb or #rrggbbaa');

const PROVIDER_SCHEMA = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('geopackage'), path: z.string().min(1), table: z.string().min(1) }),
  z.strictObject({
    type: z.literal('geojson'),
    path: z.string().min(1),
    idProperty: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('postgis'),
    connectionString: z.string().min(1),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'expected [schema.]table'),
    geometryColumn: z.string().min(1).default('geom'),
    idColumn: z.string().min(1).default('id'),
  }),
  z.strictObject({
    type: z.literal('ngsi-ld'),
    entityType: z.string().min(1),
    /** Broker base URL (…/ngsi-ld/v1); default the configured or embedded broker. */
    brokerUrl: z.url({ protocol: /^https?$/ }).optional(),
  }),
]);

/** Style hints the viewer reads from a collection (`plaza:style`). */
export const STYLE_SCHEMA = z.strictObject({
  fillColor: COLOUR.optional(),
  strokeColor: COLOUR.optional(),
  strokeWidth: z.number().min(0).max(50).optional(),
  /** Property holding a height in metres to extrude polygons by. */
  extrudeProperty: z.string().min(1).optional(),
  pointSize: z.number().min(1).max(100).optional(),
});

export const COLLECTION_SCHEMA = z.strictObject({
  id: IDENTIFIER,
  title: z.string().min(1),
  description: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  visibility: z.enum(['public', 'internal']).default('public'),
  /** Property holding the feature time, for `datetime`. */
  temporalProperty: z.string().min(1).optional(),
  provider: PROVIDER_SCHEMA,
  style: STYLE_SCHEMA.optional(),
});

/** The collections config file. */
export const COLLECTIONS_CONFIG_SCHEMA = z
  .strictObject({
    $schema: z.string().optional(),
    /** Serve the demo district's public layers (default true). */
    demoLayers: z.boolean().default(true),
    /** Serve every tileset under the tilesets folder as a 3D GeoVolumes collection (default true). */
    tilesets: z.boolean().default(true),
    /** Serve the NGSI-LD broker's entity types as collections (default true). */
    ngsiLdTypes: z.boolean().default(true),
    collections: z.array(COLLECTION_SCHEMA).default([]),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.collections.forEach((collection, index) => {
      if (seen.has(collection.id)) {
        context.addIssue({
          code: 'custom',
          path: ['collections', index, 'id'],
          message: `duplicate collection id '${collection.id}'`,
        });
      }
      seen.add(collection.id);
    });
  });

export type CollectionsConfig = z.infer<typeof COLLECTIONS_CONFIG_SCHEMA>;
export type CollectionConfig = z.infer<typeof COLLECTION_SCHEMA>;
export type ProviderConfig = CollectionConfig['provider'];
export type CollectionStyle = z.infer<typeof STYLE_SCHEMA>;

/** A collections file that fails validation; the message lists every problem with its JSON path. */
export class CollectionsConfigError extends ConfigError {
  override name = 'CollectionsConfigError';
}

/**
 * Validates a parsed collections config, resolving relative file paths against `baseDirectory`.
 * @throws CollectionsConfigError listing every problem
 */
export function parseCollectionsConfig(
  value: unknown,
  baseDirectory: string,
  source = 'collections config',
): CollectionsConfig {
  const result = COLLECTIONS_CONFIG_SCHEMA.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new CollectionsConfigError(`${source} is invalid: ${problems.join('; ')}`);
  }
  for (const collection of result.data.collections) {
    if (collection.provider.type === 'geopackage' || collection.provider.type === 'geojson') {
      collection.provider.path = resolve(baseDirectory, collection.provider.path);
    }
  }
  return result.data;
}

/**
 * Reads and validates a collections file: YAML when it ends in .yaml or .yml, JSON otherwise.
 * @throws CollectionsConfigError when unreadable, not parseable or invalid
 */
export function loadCollectionsConfig(path: string | undefined): CollectionsConfig {
  if (!path) return parseCollectionsConfig({}, process.cwd());
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CollectionsConfigError(
      `cannot read collections config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const isYaml = /\.ya?ml$/i.test(path);
  let value: unknown;
  try {
    value = isYaml ? yaml.load(text, { schema: yaml.JSON_SCHEMA }) : JSON.parse(text);
  } catch (error) {
    throw new CollectionsConfigError(
      `collections config ${path} is not ${isYaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
  return parseCollectionsConfig(value, dirname(path), path);
}

/** The JSON Schema of the config file, for editors (`$schema`). */
export function collectionsConfigJsonSchema(): unknown {
  return z.toJSONSchema(COLLECTIONS_CONFIG_SCHEMA, { io: 'input' });
}
