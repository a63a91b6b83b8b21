// GeoPackage feature tables (files written by Plaza or by GDAL) through better-sqlite3: R-tree bbox prefilter,
// keyset paging on the feature id, exact predicates in JS, CRS84 output whatever the storage CRS.
import Database from 'better-sqlite3';
import type { Geometry } from 'geojson';
import {
  ProviderError,
  decodeCursor,
  encodeCursor,
  type BoundingBox,
  type FeaturePage,
  type FeatureProvider,
  type FeatureQuery,
  type PlazaFeature,
  type ProviderDescription,
  type QueryableProperty,
} from './provider';
import { decodeGeoPackageGeometry } from './geopackage-binary';
import { geometryIntersectsBox, mapPositions } from './geometry';
import { createTransform, registerEpsg, transformBox, type PositionTransform } from './projection';
import { compareFeatures, matchesQuery } from './query';

/** Options of {@link GeoPackageProvider}. */
export interface GeoPackageProviderOptions {
  path: string;
  /** Feature table name. */
  table: string;
  /** Property holding the feature time (default: the first DATE or DATETIME column). */
  temporalProperty?: string;
}

/** Above this many rows, a filtered query does not scan everything to count its matches. */
const COUNT_SCAN_LIMIT = 50_000;
/** Most candidates a filtered, sorted query may sort in memory. */
const SORT_SCAN_LIMIT = 200_000;

interface Cursor {
  /** Last fid returned (default order), or the offset reached (sorted order). */
  a?: number;
  o?: number;
}

function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'object' || value === null) return false;
  const cursor = value as Cursor;
  return (
    (typeof cursor.a === 'number' && Number.isInteger(cursor.a)) ||
    (typeof cursor.o === 'number' && Number.isInteger(cursor.o) && cursor.o >= 0)
  );
}

function propertyType(declared: string): QueryableProperty {
  const type = declared.toUpperCase();
  if (type === 'BOOLEAN') return { type: 'boolean' };
  if (/INT/.test(type)) return { type: 'integer' };
  if (/REAL|FLOA|DOUB|NUMERIC|DECIMAL/.test(type)) return { type: 'number' };
  if (type === 'DATE') return { type: 'string', format: 'date' };
  if (type === 'DATETIME') return { type: 'string', format: 'date-time' };
  return { type: 'string' };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A GeoPackage feature table as a FeatureProvider. */
export class GeoPackageProvider implements FeatureProvider {
  readonly #database: Database.Database;
  readonly #table: string;
  readonly #geometryColumn: string;
  readonly #idColumn: string;
  readonly #srsId: number;
  readonly #geometryType: string;
  readonly #columns: { name: string; type: QueryableProperty; boolean: boolean }[];
  readonly #rtree: string | undefined;
  readonly #toCrs84: PositionTransform;
  readonly #fromCrs84: PositionTransform;
  readonly #temporalProperty: string | undefined;
  #description: ProviderDescription | undefined;
  readonly #statements = new Map<string, Database.Statement>();
  #count: { version: number; value: number } | undefined;

  /**
   * Opens a table read-only.
   * @throws Error when the file, the table or its geometry column is missing, or its CRS is unknown
   */
  constructor(options: GeoPackageProviderOptions) {
    this.#database = new Database(options.path, { readonly: true, fileMustExist: true });
    try {
      const geometryColumn = this.#database
        .prepare(
          'SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?',
        )
        .get(options.table) as
        { column_name: string; geometry_type_name: string; srs_id: number } | undefined;
      if (!geometryColumn) throw new Error(`${options.path} has no feature table '${options.table}'`);
      this.#table = options.table;
      this.#geometryColumn = geometryColumn.column_name;
      this.#geometryType = geometryColumn.geometry_type_name;
      this.#srsId = geometryColumn.srs_id;
      const columns = this.#database.prepare(`PRAGMA table_info(${quote(options.table)})`).all() as {
        name: string;
        type: string;
        pk: number;
      }[];
      this.#idColumn = columns.find((column) => column.pk === 1)?.name ?? 'rowid';
      this.#columns = columns
        .filter((column) => column.name !== this.#idColumn && column.name !== this.#geometryColumn)
        .map((column) => ({
          name: column.name,
          type: propertyType(column.type),
          boolean: column.type.toUpperCase() === 'BOOLEAN',
        }));
      const rtree = `rtree_${options.table}_${this.#geometryColumn}`;
      this.#rtree = this.#database
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(rtree)
        ? rtree
        : undefined;
      if (this.#srsId > 0 && this.#srsId !== 4326) {
        const definition = this.#database
          .prepare(
            'SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?',
          )
          .get(this.#srsId) as
          { organization: string; organization_coordsys_id: number; definition: string } | undefined;
        const code =
          definition?.organization.toUpperCase() === 'EPSG'
            ? definition.organization_coordsys_id
            : this.#srsId;
        if (!registerEpsg(code, definition?.definition)) {
          throw new Error(
            `${options.path}: table '${options.table}' uses srs_id ${this.#srsId}, which Plaza cannot transform`,
          );
        }
        this.#srsId = code;
      }
      this.#toCrs84 = createTransform(this.#srsId <= 0 ? 4326 : this.#srsId, 4326);
      this.#fromCrs84 = createTransform(4326, this.#srsId <= 0 ? 4326 : this.#srsId);
      this.#temporalProperty =
        options.temporalProperty ?? this.#columns.find((column) => column.type.format !== undefined)?.name;
      if (this.#temporalProperty && !this.#columns.some((column) => column.name === this.#temporalProperty)) {
        throw new Error(
          `${options.path}: table '${options.table}' has no column '${this.#temporalProperty}'`,
        );
      }
    } catch (error) {
      this.#database.close();
      throw error;
    }
  }

  async describe(): Promise<ProviderDescription> {
    if (this.#description) return this.#description;
    const contents = this.#database
      .prepare('SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?')
      .get(this.#table) as
      { min_x: number | null; min_y: number | null; max_x: number | null; max_y: number | null } | undefined;
    let bbox: BoundingBox | undefined;
    if (
      contents &&
      contents.min_x !== null &&
      contents.min_y !== null &&
      contents.max_x !== null &&
      contents.max_y !== null
    ) {
      bbox = transformBox([contents.min_x, contents.min_y, contents.max_x, contents.max_y], this.#toCrs84);
    }
    let interval: [string | null, string | null] | undefined;
    if (this.#temporalProperty) {
      const column = quote(this.#temporalProperty);
      const range = this.#database
        .prepare(`SELECT MIN(${column}) AS low, MAX(${column}) AS high FROM ${quote(this.#table)}`)
        .get() as { low: string | null; high: string | null };
      if (range.low !== null || range.high !== null) {
        const normalise = (value: string | null) =>
          value === null ? null : new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString();
        interval = [normalise(range.low), normalise(range.high)];
      }
    }
    this.#description = {
      bbox,
      interval,
      storageEpsg: this.#srsId <= 0 ? 4326 : this.#srsId,
      geometryType: geometryTypeName(this.#geometryType),
      properties: Object.fromEntries(this.#columns.map((column) => [column.name, column.type])),
      temporalProperty: this.#temporalProperty,
      count: this.#countAll(),
    };
    return this.#description;
  }

  /** Row count, cached until another connection changes the file (SQLite's data_version moves on each commit). */
  #countAll(): number {
    const version = this.#database.pragma('data_version', { simple: true }) as number;
    if (this.#count?.version !== version) {
      const row = this.#statement(`SELECT COUNT(*) AS n FROM ${quote(this.#table)}`).get() as { n: number };
      this.#count = { version, value: row.n };
    }
    return this.#count.value;
  }

  #toFeature(row: Record<string, unknown>): PlazaFeature {
    const blob = row[this.#geometryColumn];
    let geometry: Geometry | null = null;
    if (blob instanceof Uint8Array) {
      geometry = decodeGeoPackageGeometry(blob);
      if (geometry && this.#srsId !== 4326 && this.#srsId > 0)
        geometry = mapPositions(geometry, this.#toCrs84);
    }
    const properties: Record<string, unknown> = {};
    for (const column of this.#columns) {
      const value = row[column.name];
      properties[column.name] =
        column.boolean && value !== null && value !== undefined ? Boolean(value) : value;
    }
    return { type: 'Feature', id: row[this.#idColumn] as number, geometry, properties };
  }

  async queryFeatures(query: FeatureQuery): Promise<FeaturePage> {
    this.#checkSort(query);
    const cursor = query.cursor ? decodeCursor(query.cursor, isCursor) : undefined;
    const sorted = (query.sortBy?.length ?? 0) > 0;
    if (sorted && cursor?.a !== undefined)
      throw new ProviderError('cursor does not belong to a sorted query', 'bad-request');
    if (!sorted && cursor?.o !== undefined)
      throw new ProviderError('cursor belongs to a sorted query', 'bad-request');
    const unfiltered = !query.bbox && !query.datetime && !query.filter;
    const after = cursor?.a;
    const offset = cursor?.o ?? (cursor ? 0 : query.offset);

    if (!sorted) {
      if (unfiltered) {
        const rows = this.#statement(
          `SELECT * FROM ${quote(this.#table)} WHERE ${quote(this.#idColumn)} > ? ORDER BY ${quote(this.#idColumn)} LIMIT ? OFFSET ?`,
        ).all(after ?? Number.MIN_SAFE_INTEGER, query.limit + 1, after === undefined ? offset : 0) as Record<
          string,
          unknown
        >[];
        const features = rows.map((row) => this.#toFeature(row));
        const hasMore = features.length > query.limit;
        if (hasMore) features.length = query.limit;
        return {
          features,
          numberMatched: this.#countAll(),
          nextCursor: hasMore ? encodeCursor({ a: features[features.length - 1].id }) : undefined,
        };
      }
      if (query.bbox && !query.datetime && !query.filter && this.#rtree && this.#srsId === 4326) {
        return this.#scanBbox(query.bbox, query.limit, after, offset);
      }
      return this.#scanFiltered(query, after, offset);
    }

    // Sorted and unfiltered: SQLite orders (BINARY collation: code-point order, as the in-memory comparator).
    if (unfiltered) {
      const order = (query.sortBy ?? [])
        .map((key) => `${quote(key.property)} ${key.direction === 'ascending' ? 'ASC' : 'DESC'} NULLS LAST`)
        .join(', ');
      const rows = this.#statement(
        `SELECT * FROM ${quote(this.#table)} ORDER BY ${order}, ${quote(this.#idColumn)} LIMIT ? OFFSET ?`,
      ).all(query.limit + 1, offset) as Record<string, unknown>[];
      const features = rows.map((row) => this.#toFeature(row));
      const hasMore = features.length > query.limit;
      if (hasMore) features.length = query.limit;
      return {
        features,
        numberMatched: this.#countAll(),
        nextCursor: hasMore ? encodeCursor({ o: offset + query.limit }) : undefined,
      };
    }
    // Sorted and filtered: sort the matches in memory, refusing scans that would not fit.
    const matches: PlazaFeature[] = [];
    let visited = 0;
    for (const row of this.#candidates(query, undefined)) {
      if (++visited > SORT_SCAN_LIMIT) {
        throw new ProviderError(
          `sortby together with filter or datetime reads more than ${SORT_SCAN_LIMIT} features here; narrow the query with bbox`,
          'bad-request',
          'sortby',
        );
      }
      const feature = this.#toFeature(row);
      if (matchesQuery(feature, query, this.#temporalProperty)) matches.push(feature);
    }
    matches.sort(compareFeatures(query.sortBy ?? []));
    const page = matches.slice(offset, offset + query.limit);
    return {
      features: page,
      numberMatched: matches.length,
      nextCursor:
        offset + query.limit < matches.length ? encodeCursor({ o: offset + query.limit }) : undefined,
    };
  }

  #checkSort(query: FeatureQuery): void {
    for (const key of query.sortBy ?? []) {
      if (!this.#columns.some((column) => column.name === key.property)) {
        throw new ProviderError(
          `cannot sort by '${key.property}': no such property`,
          'bad-request',
          'sortby',
        );
      }
    }
  }

  /** Rows in id order after `after`, limited to R-tree hits when the query has a bbox. */
  *#candidates(query: FeatureQuery, after: number | undefined): Generator<Record<string, unknown>> {
    const id = quote(this.#idColumn);
    const table = quote(this.#table);
    const parameters: number[] = [];
    let sql: string;
    if (query.bbox && this.#rtree) {
      const boxes = query.bbox.map((box) => transformBox(box, this.#fromCrs84));
      const conditions = boxes.map((box) => {
        parameters.push(box[0], box[2], box[1], box[3]);
        return '(r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?)';
      });
      sql =
        `SELECT t.*, r.minx AS "__minx", r.maxx AS "__maxx", r.miny AS "__miny", r.maxy AS "__maxy" FROM ${table} t ` +
        `JOIN ${quote(this.#rtree)} r ON r.id = t.${id} WHERE t.${id} > ? AND (${conditions.join(' OR ')}) ORDER BY t.${id}`;
    } else {
      sql = `SELECT * FROM ${table} WHERE ${id} > ? ORDER BY ${id}`;
    }
    yield* this.#database
      .prepare(sql)
      .iterate(after ?? Number.MIN_SAFE_INTEGER, ...parameters) as IterableIterator<Record<string, unknown>>;
  }

  /**
   * A bbox-only query over CRS84 data, from the R-tree: envelopes inside a box match without reading the row, the
   * others are decided on their geometry; only the page's rows are then read. numberMatched is exact.
   */
  #scanBbox(boxes: BoundingBox[], limit: number, after: number | undefined, offset: number): FeaturePage {
    const conditions = boxes.map(() => '(maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)').join(' OR ');
    const envelopes = this.#statement(
      `SELECT id, minx, maxx, miny, maxy FROM ${quote(this.#rtree!)} WHERE ${conditions}`,
    ).all(...boxes.flatMap((box) => [box[0], box[2], box[1], box[3]])) as {
      id: number;
      minx: number;
      maxx: number;
      miny: number;
      maxy: number;
    }[];
    envelopes.sort((a, b) => a.id - b.id);
    const geometryOf = this.#statement(
      `SELECT ${quote(this.#geometryColumn)} AS geometry FROM ${quote(this.#table)} WHERE ${quote(this.#idColumn)} = ?`,
    );
    const matches: number[] = [];
    for (const envelope of envelopes) {
      const inside = boxes.some(
        (box) =>
          envelope.minx >= box[0] &&
          envelope.maxx <= box[2] &&
          envelope.miny >= box[1] &&
          envelope.maxy <= box[3],
      );
      if (!inside) {
        const blob = (geometryOf.get(envelope.id) as { geometry: Uint8Array | null } | undefined)?.geometry;
        const geometry = blob ? decodeGeoPackageGeometry(blob) : null;
        if (!geometry || !boxes.some((box) => geometryIntersectsBox(geometry, box))) continue;
      }
      matches.push(envelope.id);
    }
    const start = after !== undefined ? matches.findIndex((id) => id > after) : offset;
    const pageIds = start < 0 ? [] : matches.slice(start, start + limit + 1);
    const rowOf = this.#statement(`SELECT * FROM ${quote(this.#table)} WHERE ${quote(this.#idColumn)} = ?`);
    const features = pageIds.map((id) => this.#toFeature(rowOf.get(id) as Record<string, unknown>));
    const hasMore = features.length > limit;
    if (hasMore) features.length = limit;
    return {
      features,
      numberMatched: matches.length,
      nextCursor: hasMore ? encodeCursor({ a: features[features.length - 1].id }) : undefined,
    };
  }

  /**
   * One pass over the candidates in id order: counts every match (numberMatched, exact) while collecting the page.
   * Without a bbox, a table above COUNT_SCAN_LIMIT rows is not counted and the pass stops once the page is full.
   * A bbox-only query over CRS84 data trusts the R-tree where a feature's envelope lies inside the box.
   */
  #scanFiltered(query: FeatureQuery, after: number | undefined, offset: number): FeaturePage {
    let countable = query.bbox !== undefined || this.#countAll() <= COUNT_SCAN_LIMIT;
    const boxes = query.bbox;
    const envelopeTrusted = boxes !== undefined && !query.datetime && !query.filter && this.#srsId === 4326;
    const features: PlazaFeature[] = [];
    let total = 0;
    let visited = 0;
    let skipped = 0;
    for (const row of this.#candidates(query, countable ? undefined : after)) {
      if (countable && ++visited > COUNT_SCAN_LIMIT) countable = false;
      const collecting = features.length <= query.limit;
      if (!countable && !collecting) break;
      let feature: PlazaFeature | undefined;
      const inside =
        envelopeTrusted &&
        row.__minx !== undefined &&
        boxes.some(
          (box) =>
            (row.__minx as number) >= box[0] &&
            (row.__maxx as number) <= box[2] &&
            (row.__miny as number) >= box[1] &&
            (row.__maxy as number) <= box[3],
        );
      if (!inside) {
        feature = this.#toFeature(row);
        if (!matchesQuery(feature, query, this.#temporalProperty)) continue;
      }
      total++;
      if (!collecting) continue;
      const id = row[this.#idColumn] as number;
      if (after !== undefined ? id <= after : skipped < offset) {
        if (after === undefined) skipped++;
        continue;
      }
      features.push(feature ?? this.#toFeature(row));
    }
    const hasMore = features.length > query.limit;
    if (hasMore) features.length = query.limit;
    return {
      features,
      numberMatched: countable ? total : undefined,
      nextCursor: hasMore ? encodeCursor({ a: features[features.length - 1].id }) : undefined,
    };
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    if (!/^-?\d{1,15}$/.test(id)) return undefined;
    const row = this.#database
      .prepare(`SELECT * FROM ${quote(this.#table)} WHERE ${quote(this.#idColumn)} = ?`)
      .get(Number(id)) as Record<string, unknown> | undefined;
    return row ? this.#toFeature(row) : undefined;
  }

  async close(): Promise<void> {
    this.#database.close();
  }
}

function geometryTypeName(name: string): string {
  const known: Record<string, string> = {
    POINT: 'Point',
    LINESTRING: 'LineString',
    POLYGON: 'Polygon',
    MULTIPOINT: 'MultiPoint',
    MULTILINESTRING: 'MultiLineString',
    MULTIPOLYGON: 'MultiPolygon',
    GEOMETRYCOLLECTION: 'GeometryCollection',
  };
  return known[name.toUpperCase()] ?? 'Geometry';
}

/** Lists the feature tables of a GeoPackage file. */
export function listGeoPackageTables(path: string): string[] {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (
      database.prepare('SELECT table_name FROM gpkg_geometry_columns ORDER BY table_name').all() as {
        table_name: string;
      }[]
    ).map((row) => row.table_name);
  } finally {
    database.close();
  }
}
