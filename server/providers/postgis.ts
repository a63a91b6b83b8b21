// PostGIS tables as a FeatureProvider (pg): GiST-indexed bbox (&& then ST_Intersects), CQL2 translated to
// parameterised SQL with a JS residual, keyset paging on the id column, ST_Transform to CRS84 on the way out.
import pg from 'pg';
import type { Geometry } from 'geojson';
import { Cql2Error, evaluateCql2, toSql, type Cql2Expression } from '../cql2';
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
import { compareFeatures } from './query';

/** Options of {@link PostGisProvider}. */
export interface PostGisProviderOptions {
  connectionString: string;
  /** `table` or `schema.table`. */
  table: string;
  /** Default `geom`. */
  geometryColumn?: string;
  /** Unique, non-null column used as the feature id and keyset (default `id`). */
  idColumn?: string;
  /** Default: the first date or timestamp column. */
  temporalProperty?: string;
  /** Pool size (default 4). */
  maxConnections?: number;
}

interface Column {
  name: string;
  type: QueryableProperty;
  text: boolean;
  numeric: boolean;
}

interface Cursor {
  a?: number | string;
  o?: number;
}

function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'object' || value === null) return false;
  const cursor = value as Cursor;
  return (
    typeof cursor.a === 'number' ||
    typeof cursor.a === 'string' ||
    (typeof cursor.o === 'number' && Number.isInteger(cursor.o) && cursor.o >= 0)
  );
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function columnType(dataType: string): { type: QueryableProperty; text: boolean; numeric: boolean } {
  if (['smallint', 'integer', 'bigint'].includes(dataType))
    return { type: { type: 'integer' }, text: false, numeric: dataType === 'bigint' };
  if (['real', 'double precision', 'numeric'].includes(dataType))
    return { type: { type: 'number' }, text: false, numeric: dataType === 'numeric' };
  if (dataType === 'boolean') return { type: { type: 'boolean' }, text: false, numeric: false };
  if (dataType === 'date') return { type: { type: 'string', format: 'date' }, text: false, numeric: false };
  if (dataType.startsWith('timestamp'))
    return { type: { type: 'string', format: 'date-time' }, text: false, numeric: false };
  return { type: { type: 'string' }, text: true, numeric: false };
}

/** A PostGIS table. */
export class PostGisProvider implements FeatureProvider {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #table: string;
  readonly #geometryColumn: string;
  readonly #idColumn: string;
  #setup:
    | Promise<{ columns: Column[]; srid: number; idNumeric: boolean; description: ProviderDescription }>
    | undefined;

  constructor(readonly options: PostGisProviderOptions) {
    const [schema, table] = options.table.includes('.')
      ? options.table.split('.', 2)
      : ['public', options.table];
    this.#schema = schema;
    this.#table = table;
    this.#geometryColumn = options.geometryColumn ?? 'geom';
    this.#idColumn = options.idColumn ?? 'id';
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 4,
    });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    this.#pool.on('error', () => undefined);
  }

  get #qualified(): string {
    return `${quote(this.#schema)}.${quote(this.#table)}`;
  }

  async #query(sql: string, parameters: unknown[] = []): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(sql, parameters);
    } catch (error) {
      throw new ProviderError(
        `PostGIS table ${this.options.table}: ${(error as Error).message}`,
        'unavailable',
      );
    }
  }

  #load() {
    this.#setup ??= (async () => {
      const columnRows = await this.#query(
        'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [this.#schema, this.#table],
      );
      if (columnRows.rows.length === 0)
        throw new ProviderError(`PostGIS table ${this.options.table} does not exist`, 'unavailable');
      const columns: Column[] = [];
      let idNumeric = false;
      for (const row of columnRows.rows as { column_name: string; data_type: string }[]) {
        if (row.column_name === this.#idColumn)
          idNumeric = ['smallint', 'integer', 'bigint'].includes(row.data_type);
        if (row.column_name === this.#idColumn || row.column_name === this.#geometryColumn) continue;
        columns.push({ name: row.column_name, ...columnType(row.data_type) });
      }
      const geometry = await this.#query(
        'SELECT srid, type FROM geometry_columns WHERE f_table_schema = $1 AND f_table_name = $2 AND f_geometry_column = $3',
        [this.#schema, this.#table, this.#geometryColumn],
      );
      const srid = (geometry.rows[0]?.srid as number | undefined) || 4326;
      const geometryType = String(geometry.rows[0]?.type ?? 'GEOMETRY');
      const temporalProperty =
        this.options.temporalProperty ?? columns.find((column) => column.type.format)?.name;
      const geometrySql = quote(this.#geometryColumn);
      const extent = await this.#query(
        `SELECT ST_XMin(e) AS minx, ST_YMin(e) AS miny, ST_XMax(e) AS maxx, ST_YMax(e) AS maxy, n FROM
         (SELECT ST_Extent(ST_Transform(${geometrySql}, 4326)) AS e, COUNT(*) AS n FROM ${this.#qualified}) s`,
      );
      const row = extent.rows[0] as {
        minx: number | null;
        miny: number;
        maxx: number;
        maxy: number;
        n: string;
      };
      let interval: [string | null, string | null] | undefined;
      if (temporalProperty) {
        const range = await this.#query(
          `SELECT MIN(${quote(temporalProperty)}) AS low, MAX(${quote(temporalProperty)}) AS high FROM ${this.#qualified}`,
        );
        const { low, high } = range.rows[0] as { low: unknown; high: unknown };
        const iso = (value: unknown) => (value === null ? null : new Date(value as string).toISOString());
        if (low !== null || high !== null) interval = [iso(low), iso(high)];
      }
      const description: ProviderDescription = {
        bbox: row.minx === null ? undefined : ([row.minx, row.miny, row.maxx, row.maxy] as BoundingBox),
        interval,
        storageEpsg: srid,
        geometryType: geometryTypeName(geometryType),
        properties: Object.fromEntries(columns.map((column) => [column.name, column.type])),
        temporalProperty,
        count: Number(row.n),
      };
      return { columns, srid, idNumeric, description };
    })();
    this.#setup.catch(() => (this.#setup = undefined));
    return this.#setup;
  }

  async describe(): Promise<ProviderDescription> {
    return (await this.#load()).description;
  }

  #select(columns: Column[]): string {
    return `SELECT ${quote(this.#idColumn)} AS "__id", ST_AsGeoJSON(ST_Transform(${quote(this.#geometryColumn)}, 4326), 9) AS "__geometry"${columns
      .map((column) => `, ${quote(column.name)}`)
      .join('')} FROM ${this.#qualified}`;
  }

  #toFeature(row: Record<string, unknown>, columns: Column[]): PlazaFeature {
    const properties: Record<string, unknown> = {};
    for (const column of columns) {
      let value = row[column.name];
      if (value instanceof Date)
        value = column.type.format === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
      else if (column.numeric && typeof value === 'string') value = Number(value);
      properties[column.name] = value;
    }
    const id = row.__id;
    return {
      type: 'Feature',
      id:
        typeof id === 'number'
          ? id
          : typeof id === 'string' && /^-?\d{1,15}$/.test(id)
            ? Number(id)
            : String(id),
      geometry: row.__geometry ? (JSON.parse(row.__geometry as string) as Geometry) : null,
      properties,
    };
  }

  /** The WHERE clause and parameters of a query (without keyset), and the filter part SQL cannot compute. */
  #where(query: FeatureQuery, columns: Column[], srid: number, temporalProperty: string | undefined) {
    const clauses: string[] = [];
    const parameters: unknown[] = [];
    const geometry = quote(this.#geometryColumn);
    const placeholder = (value: unknown) => {
      parameters.push(value);
      return `$${parameters.length}`;
    };
    if (query.bbox) {
      const boxes = query.bbox.map((box) => {
        const envelope = `ST_MakeEnvelope(${placeholder(box[0])}, ${placeholder(box[1])}, ${placeholder(box[2])}, ${placeholder(box[3])}, 4326)`;
        const target = srid === 4326 ? envelope : `ST_Transform(${envelope}, ${srid})`;
        return `(${geometry} && ${target} AND ST_Intersects(${geometry}, ${target}))`;
      });
      clauses.push(`(${boxes.join(' OR ')})`);
    }
    if (query.datetime && temporalProperty) {
      const column = quote(temporalProperty);
      clauses.push(`${column} IS NOT NULL`);
      if (query.datetime.start !== undefined)
        clauses.push(`${column} >= ${placeholder(new Date(query.datetime.start).toISOString())}`);
      if (query.datetime.end !== undefined)
        clauses.push(`${column} <= ${placeholder(new Date(query.datetime.end).toISOString())}`);
    }
    let residual: Cql2Expression | undefined;
    if (query.filter) {
      const expression = query.filter.expression as Cql2Expression;
      try {
        const translated = toSql(expression, {
          dialect: 'postgis',
          column: (property) =>
            property === 'id'
              ? quote(this.#idColumn)
              : columns.some((column) => column.name === property)
                ? quote(property)
                : undefined,
          geometryColumn: geometry,
          storageSrid: srid,
          firstParameter: parameters.length + 1,
        });
        clauses.push(`(${translated.where})`);
        parameters.push(...translated.params);
        residual = translated.residual;
      } catch (error) {
        if (!(error instanceof Cql2Error)) throw error;
        residual = expression;
      }
    }
    return { where: clauses.length ? clauses.join(' AND ') : 'TRUE', parameters, residual };
  }

  async queryFeatures(query: FeatureQuery): Promise<FeaturePage> {
    const { columns, srid, idNumeric, description } = await this.#load();
    for (const key of query.sortBy ?? []) {
      if (!columns.some((column) => column.name === key.property))
        throw new ProviderError(
          `cannot sort by '${key.property}': no such property`,
          'bad-request',
          'sortby',
        );
    }
    const cursor = query.cursor ? decodeCursor(query.cursor, isCursor) : undefined;
    const sorted = (query.sortBy?.length ?? 0) > 0;
    if (cursor && sorted === (cursor.a !== undefined))
      throw new ProviderError('cursor belongs to another kind of query', 'bad-request');
    const { where, parameters, residual } = this.#where(query, columns, srid, description.temporalProperty);
    const id = quote(this.#idColumn);
    const order = sorted
      ? `${(query.sortBy ?? [])
          .map((key) => {
            const column = columns.find((candidate) => candidate.name === key.property)!;
            return `${quote(key.property)}${column.text ? ' COLLATE "C"' : ''} ${key.direction === 'ascending' ? 'ASC' : 'DESC'} NULLS LAST`;
          })
          .join(', ')}, ${id}`
      : id;
    const offset = cursor?.o ?? (cursor ? 0 : query.offset);

    if (residual) {
      // Part of the filter only JS can compute: fetch the SQL matches, finish in memory.
      const result = await this.#query(
        `${this.#select(columns)} WHERE ${where} ORDER BY ${order}`,
        parameters,
      );
      let matches = result.rows
        .map((row) => this.#toFeature(row as Record<string, unknown>, columns))
        .filter((feature) => evaluateResidual(residual, feature));
      if (sorted) matches.sort(compareFeatures(query.sortBy ?? []));
      const total = matches.length;
      if (cursor?.a !== undefined) {
        const after = cursor.a;
        matches = matches.filter((feature) =>
          typeof after === 'number' ? Number(feature.id) > after : String(feature.id) > after,
        );
      } else matches = matches.slice(offset);
      const page = matches.slice(0, query.limit);
      const more = matches.length > query.limit;
      return {
        features: page,
        numberMatched: total,
        nextCursor: more
          ? encodeCursor(sorted ? { o: offset + query.limit } : { a: page[page.length - 1].id })
          : undefined,
      };
    }

    const pageParameters = [...parameters];
    let keyset = '';
    if (cursor?.a !== undefined) {
      pageParameters.push(idNumeric ? Number(cursor.a) : String(cursor.a));
      keyset = ` AND ${id} > $${pageParameters.length}`;
    }
    pageParameters.push(query.limit + 1);
    let sql = `${this.#select(columns)} WHERE ${where}${keyset} ORDER BY ${order} LIMIT $${pageParameters.length}`;
    if (cursor?.a === undefined && offset > 0) {
      pageParameters.push(offset);
      sql += ` OFFSET $${pageParameters.length}`;
    }
    const [rows, count] = await Promise.all([
      this.#query(sql, pageParameters),
      where === 'TRUE'
        ? Promise.resolve(undefined)
        : this.#query(`SELECT COUNT(*) AS n FROM ${this.#qualified} WHERE ${where}`, parameters),
    ]);
    const features = rows.rows.map((row) => this.#toFeature(row as Record<string, unknown>, columns));
    const more = features.length > query.limit;
    if (more) features.length = query.limit;
    return {
      features,
      numberMatched: count ? Number(count.rows[0].n) : description.count,
      nextCursor: more
        ? encodeCursor(sorted ? { o: offset + query.limit } : { a: features[features.length - 1].id })
        : undefined,
    };
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    const { columns, idNumeric } = await this.#load();
    if (idNumeric && !/^-?\d{1,15}$/.test(id)) return undefined;
    const result = await this.#query(`${this.#select(columns)} WHERE ${quote(this.#idColumn)} = $1`, [
      idNumeric ? Number(id) : id,
    ]);
    return result.rows[0] ? this.#toFeature(result.rows[0] as Record<string, unknown>, columns) : undefined;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function evaluateResidual(expression: Cql2Expression, feature: PlazaFeature): boolean {
  try {
    return evaluateCql2(expression, feature);
  } catch (error) {
    if (error instanceof Cql2Error)
      throw new ProviderError(`filter cannot be evaluated: ${error.message}`, 'bad-request', 'filter');
    throw error;
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
  };
  return known[name.toUpperCase()] ?? 'Geometry';
}
