// Translates a CQL2 expression into a parameterised SQL WHERE clause for PostGIS or SQLite (GeoPackage), leaving
// what a dialect cannot compute exactly as a residual expression to evaluate in JavaScript after fetching.
import type { Database } from 'better-sqlite3';
import { boundingBox } from '../geometry';
import { bboxToGeometry, foldCase, stripAccents } from './evaluate';
import { formatGeometryWkt } from './format';
import {
  COMPARISON_OPERATORS,
  Cql2Error,
  SPATIAL_FUNCTIONS,
  canonicalOperator,
  isBbox,
  isDate,
  isGeometry,
  isInterval,
  isOperation,
  isProperty,
  isTimestamp,
  type Cql2Expression,
  type Cql2IntervalBound,
} from './model';
import { TEMPORAL_RELATIONS, parseInstant } from './temporal';

/** Options of {@link toSql}. */
export interface Cql2SqlOptions {
  dialect: 'postgis' | 'sqlite';
  /** The quoted SQL expression of a queryable's column, or undefined for an unknown property (a Cql2Error). */
  column: (property: string) => string | undefined;
  /** The quoted SQL expression of the feature geometry column. */
  geometryColumn: string;
  /** PostGIS: SRID of the geometry column; literals (CRS84) are transformed to it. Default 4326. */
  storageSrid?: number;
  /** The property name that refers to the feature geometry. Default `geometry`. */
  geometryProperty?: string;
  /** PostGIS: number of the first `$n` placeholder, to append the clause to other parameters. Default 1. */
  firstParameter?: number;
  /** PostGIS: the `unaccent` extension is installed, so ACCENTI is translated. Default false (residual). */
  unaccent?: boolean;
  /**
   * SQLite: {@link registerSqliteFunctions} was called on the connection, so CASEI and ACCENTI are translated to
   * `cql2_casei()`/`cql2_accenti()` (the evaluator's own folding, hence exact). Default false (residual).
   */
  sqliteFunctions?: boolean;
}

/** The translation: `where` with `params` bound in order; `residual` must also hold (evaluate it in JS). */
export interface Cql2SqlResult {
  where: string;
  params: unknown[];
  residual?: Cql2Expression;
}

/**
 * `untyped`: a PostgreSQL string parameter left without a cast, so that PostgreSQL reads it as the type of the
 * column it is compared with (GDAL's `cql-text` compares date columns with plain strings). `column` is only a hint:
 * the other side of the comparison is a column.
 */
type SqlType = 'number' | 'string' | 'boolean' | 'instant' | 'geometry' | 'unknown' | 'untyped' | 'column';

interface SqlValue {
  sql: string;
  type: SqlType;
}

/** Thrown inside the translator for a node the dialect cannot compute exactly; caught where a residual is made. */
class Untranslatable extends Error {}

const COMPARISON = new Set<string>(COMPARISON_OPERATORS);
const SPATIAL = new Set<string>(SPATIAL_FUNCTIONS);
const POSTGIS_FUNCTIONS: Record<string, string> = {
  s_intersects: 'ST_Intersects',
  s_equals: 'ST_Equals',
  s_disjoint: 'ST_Disjoint',
  s_touches: 'ST_Touches',
  s_within: 'ST_Within',
  s_overlaps: 'ST_Overlaps',
  s_crosses: 'ST_Crosses',
  s_contains: 'ST_Contains',
};

type LikePart = { literal: string } | { any: true } | { one: true };

/** Splits a CQL2 LIKE pattern into literal characters and `%` / `_` wildcards (`\` escapes the next character). */
function readLikePattern(pattern: string): LikePart[] {
  const parts: LikePart[] = [];
  const characters = [...pattern];
  for (let index = 0; index < characters.length; index++) {
    const character = characters[index];
    if (character === '\\' && index + 1 < characters.length) parts.push({ literal: characters[++index] });
    else if (character === '%') parts.push({ any: true });
    else if (character === '_') parts.push({ one: true });
    else parts.push({ literal: character });
  }
  return parts;
}

/** A GLOB pattern (SQLite's case-sensitive matcher) equivalent to a LIKE pattern. */
function likeToGlob(pattern: string): string {
  return readLikePattern(pattern)
    .map((part) => {
      if ('any' in part) return '*';
      if ('one' in part) return '?';
      return ['*', '?', '['].includes(part.literal) ? `[${part.literal}]` : part.literal;
    })
    .join('');
}

/** The same LIKE pattern with every literal `%`, `_` and `\` escaped, as PostgreSQL requires. */
function likeToPostgres(pattern: string): string {
  return readLikePattern(pattern)
    .map((part) => {
      if ('any' in part) return '%';
      if ('one' in part) return '_';
      return ['%', '_', '\\'].includes(part.literal) ? `\\${part.literal}` : part.literal;
    })
    .join('');
}

class SqlTranslator {
  readonly params: unknown[] = [];
  private readonly postgis: boolean;
  private readonly geometryProperty: string;

  constructor(private readonly options: Cql2SqlOptions) {
    this.postgis = options.dialect === 'postgis';
    this.geometryProperty = options.geometryProperty ?? 'geometry';
  }

  /** Binds a value and returns its placeholder (typed for PostgreSQL). */
  private bind(value: unknown, type: SqlType): string {
    if (!this.postgis) {
      this.params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      return '?';
    }
    this.params.push(value);
    const placeholder = `$${(this.options.firstParameter ?? 1) + this.params.length - 1}`;
    switch (type) {
      case 'untyped':
        return placeholder;
      case 'number':
        return `${placeholder}::double precision`;
      case 'boolean':
        return `${placeholder}::boolean`;
      case 'instant':
        return `${placeholder}::timestamptz`;
      default:
        return `${placeholder}::text`;
    }
  }

  /** Translates `e` completely, or returns undefined (and unbinds its parameters) when it cannot. */
  attempt(e: Cql2Expression): string | undefined {
    const mark = this.params.length;
    try {
      return this.predicate(e);
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      this.params.length = mark;
      return undefined;
    }
  }

  private column(name: string): string {
    const column = this.options.column(name);
    if (column === undefined)
      throw new Cql2Error(`Unknown property '${name}': not a queryable of this collection`);
    return column;
  }

  predicate(e: Cql2Expression): string {
    if (typeof e === 'boolean') return this.postgis ? (e ? 'TRUE' : 'FALSE') : e ? '1' : '0';
    if (!isOperation(e)) throw new Untranslatable();
    const name = canonicalOperator(e.op);
    const args = e.args;
    if (name === undefined)
      throw new Cql2Error(`Unsupported function '${e.op}': Plaza implements no custom functions`);
    switch (name) {
      case 'and':
      case 'or':
        return `(${args.map((arg) => this.predicate(arg)).join(` ${name.toUpperCase()} `)})`;
      case 'not':
        return `(NOT ${this.predicate(args[0])})`;
      case 'isNull':
        return `(${this.operand(args[0]).sql} IS NULL)`;
      case 'like':
        return this.like(args[0], args[1]);
      case 'between': {
        const [value, low, high] = args.map((arg) => this.numeric(arg));
        return `(${value} BETWEEN ${low} AND ${high})`;
      }
      case 'in': {
        const value = this.scalar(args[0]);
        const hint = value.type === 'instant' ? 'instant' : this.isColumn(args[0]) ? 'column' : value.type;
        const items = (args[1] as Cql2Expression[]).map((item) => this.scalar(item, hint));
        if (value.type === 'instant' || items.some((item) => item.type === 'instant')) {
          // Positional parameters cannot be repeated in SQLite.
          if (!this.postgis && items.length > 1 && value.sql.includes('?')) throw new Untranslatable();
          // Instants compare by time, not as text: one equality per item, ORed like IN does.
          return `(${items.map((item) => this.compare(value, '=', item)).join(' OR ')})`;
        }
        return `(${value.sql} IN (${items.map((item) => item.sql).join(', ')}))`;
      }
    }
    if (COMPARISON.has(name)) {
      const left = this.scalar(args[0], this.isColumn(args[1]) ? 'column' : 'unknown');
      const right = this.scalar(
        args[1],
        left.type === 'instant' ? 'instant' : this.isColumn(args[0]) ? 'column' : left.type,
      );
      return this.compare(left, name, right);
    }
    if (SPATIAL.has(name)) {
      if (!this.postgis) throw new Untranslatable();
      // GEOS before 3.13 refuses GeometryCollection arguments in relate-based predicates other than intersects.
      const collection = args.some((arg) => isGeometry(arg) && arg.type === 'GeometryCollection');
      if (collection && name !== 's_intersects' && name !== 's_disjoint') throw new Untranslatable();
      return `${POSTGIS_FUNCTIONS[name]}(${this.geometry(args[0])}, ${this.geometry(args[1])})`;
    }
    if (name in TEMPORAL_RELATIONS) return this.temporal(name, args[0], args[1]);
    // A_* functions: neither dialect has a portable array type for feature properties.
    throw new Untranslatable();
  }

  private isColumn(e: Cql2Expression): boolean {
    return isProperty(e) && e.property !== this.geometryProperty;
  }

  private compare(left: SqlValue, operator: string, right: SqlValue): string {
    if (left.type === 'instant' || right.type === 'instant') {
      return `(${this.instantOf(left)} ${operator} ${this.instantOf(right)})`;
    }
    // Order strings by code point, as the evaluator does (PostgreSQL's default collation may not).
    const collate =
      this.postgis &&
      (left.type === 'string' || right.type === 'string') &&
      operator !== '=' &&
      operator !== '<>';
    return `(${left.sql} ${operator} ${right.sql}${collate ? ' COLLATE "C"' : ''})`;
  }

  /** An instant-typed SQL value for comparisons: literals are already, columns are converted. */
  private instantOf(value: SqlValue): string {
    if (value.type === 'instant') return value.sql;
    return this.postgis ? `(${value.sql})::timestamptz` : `unixepoch(${value.sql}, 'subsec')`;
  }

  private instantLiteral(time: number): SqlValue {
    if (this.postgis) {
      const text =
        time === Infinity ? 'infinity' : time === -Infinity ? '-infinity' : new Date(time).toISOString();
      return { sql: this.bind(text, 'instant'), type: 'instant' };
    }
    return { sql: this.bind(time / 1000, 'number'), type: 'instant' };
  }

  private like(valueExpression: Cql2Expression, patternExpression: Cql2Expression): string {
    // CASEI/ACCENTI around the pattern, innermost last.
    const transforms: string[] = [];
    let pattern = patternExpression;
    while (isOperation(pattern)) {
      transforms.push(canonicalOperator(pattern.op)!);
      pattern = pattern.args[0];
    }
    const value = this.scalar(valueExpression).sql;
    if (this.postgis) {
      // PostgreSQL folds the pattern with the same SQL functions as the value, so both sides agree.
      let sqlPattern = this.bind(likeToPostgres(pattern as string), 'string');
      for (const transform of [...transforms].reverse())
        sqlPattern = this.textFunction(transform, sqlPattern);
      return `(${value} LIKE ${sqlPattern})`;
    }
    // SQLite: fold the literal here with the evaluator's own functions, then match case-sensitively.
    let text = pattern as string;
    for (const transform of [...transforms].reverse())
      text = transform === 'casei' ? foldCase(text) : stripAccents(text);
    return `(${value} GLOB ${this.bind(likeToGlob(text), 'string')})`;
  }

  private textFunction(name: string, sql: string): string {
    if (name === 'casei') {
      if (this.postgis) return `lower(${sql})`;
      if (this.options.sqliteFunctions) return `cql2_casei(${sql})`;
      throw new Untranslatable();
    }
    if (this.postgis && this.options.unaccent) return `unaccent(${sql})`;
    if (!this.postgis && this.options.sqliteFunctions) return `cql2_accenti(${sql})`;
    throw new Untranslatable();
  }

  private numeric(e: Cql2Expression): string {
    return this.scalar(e, 'number').sql;
  }

  /** Any operand (IS NULL accepts every kind). */
  private operand(e: Cql2Expression): SqlValue {
    if (isProperty(e) && e.property === this.geometryProperty)
      return { sql: this.options.geometryColumn, type: 'geometry' };
    if (isGeometry(e) || isBbox(e)) return { sql: this.geometry(e), type: 'geometry' };
    const name = isOperation(e) ? canonicalOperator(e.op) : undefined;
    if (name !== undefined && !['casei', 'accenti', '+', '-', '*', '/', '%', 'div', '^'].includes(name)) {
      return { sql: this.predicate(e), type: 'boolean' };
    }
    return this.scalar(e);
  }

  private scalar(e: Cql2Expression, hint: SqlType = 'unknown'): SqlValue {
    if (typeof e === 'number') return { sql: this.bind(e, 'number'), type: 'number' };
    if (typeof e === 'boolean') return { sql: this.bind(e, 'boolean'), type: 'boolean' };
    if (typeof e === 'string') {
      // A string compared with an instant is read as one (as the evaluator does).
      if (hint === 'instant') {
        const time = parseInstant(e);
        if (time === undefined) throw new Untranslatable();
        return this.instantLiteral(time);
      }
      if (hint === 'column' && this.postgis) return { sql: this.bind(e, 'untyped'), type: 'untyped' };
      return { sql: this.bind(e, 'string'), type: 'string' };
    }
    if (isDate(e)) return this.instantLiteral(parseInstant(e.date)!);
    if (isTimestamp(e)) return this.instantLiteral(parseInstant(e.timestamp)!);
    if (isProperty(e)) {
      if (e.property === this.geometryProperty) throw new Untranslatable();
      return { sql: this.column(e.property), type: 'unknown' };
    }
    if (!isOperation(e)) throw new Untranslatable();
    const name = canonicalOperator(e.op);
    if (name === undefined)
      throw new Cql2Error(`Unsupported function '${e.op}': Plaza implements no custom functions`);
    if (name === 'casei' || name === 'accenti') {
      return { sql: this.textFunction(name, this.scalar(e.args[0]).sql), type: 'string' };
    }
    const left = () => this.numeric(e.args[0]);
    const right = () => this.numeric(e.args[1]);
    const number = (sql: string): SqlValue => ({ sql, type: 'number' });
    switch (name) {
      case '+':
      case '-':
      case '*':
        return number(`(${left()} ${name} ${right()})`);
      case '/':
        return this.postgis
          ? number(`((${left()})::double precision / NULLIF(${right()}, 0))`)
          : number(`(CAST(${left()} AS REAL) / ${right()})`);
      case '%':
        return this.postgis
          ? number(`(mod((${left()})::numeric, NULLIF((${right()})::numeric, 0)))::double precision`)
          : number(`mod(${left()}, ${right()})`);
      case 'div':
        return this.postgis
          ? number(`trunc((${left()})::double precision / NULLIF(${right()}, 0))`)
          : number(`trunc(CAST(${left()} AS REAL) / ${right()})`);
      case '^':
        return number(this.postgis ? `power(${left()}, ${right()})` : `pow(${left()}, ${right()})`);
    }
    // A predicate used as a boolean value (`(a = 1) = TRUE`).
    return { sql: this.predicate(e), type: 'boolean' };
  }

  private geometry(e: Cql2Expression): string {
    if (isProperty(e)) {
      return e.property === this.geometryProperty ? this.options.geometryColumn : this.column(e.property);
    }
    const geometry = isBbox(e) ? bboxToGeometry(e.bbox) : isGeometry(e) ? e : undefined;
    if (!geometry) throw new Untranslatable();
    const literal = `ST_GeomFromText(${this.bind(formatGeometryWkt(geometry), 'string')}, 4326)`;
    const srid = this.options.storageSrid ?? 4326;
    return srid === 4326 ? literal : `ST_Transform(${literal}, ${Math.trunc(srid)})`;
  }

  /**
   * Start and end of a T_* argument. Literals stay unbound (a number of epoch milliseconds) until used, since each
   * endpoint may appear several times in the relation and positional parameters cannot be reused.
   */
  private endpoints(e: Cql2Expression): [number | string, number | string] {
    const columnInstant = (value: Cql2Expression): string => {
      const scalar = this.scalar(value, 'instant');
      if (scalar.type === 'instant' || (!this.postgis && scalar.sql.includes('?')))
        throw new Untranslatable();
      return this.instantOf(scalar);
    };
    if (isInterval(e)) {
      const bound = (value: Cql2IntervalBound, open: number): number | string => {
        if (value === '..') return open;
        if (typeof value === 'string') return parseInstant(value)!;
        return columnInstant(value);
      };
      return [bound(e.interval[0], -Infinity), bound(e.interval[1], Infinity)];
    }
    if (isDate(e) || isTimestamp(e)) {
      const time = parseInstant(isDate(e) ? e.date : e.timestamp)!;
      return [time, time];
    }
    const instant = columnInstant(e);
    return [instant, instant];
  }

  private temporal(name: string, first: Cql2Expression, second: Cql2Expression): string {
    const [s1, e1] = this.endpoints(first);
    const [s2, e2] = this.endpoints(second);
    const endpoints = { s1, e1, s2, e2 };
    const render = (endpoint: number | string) =>
      typeof endpoint === 'number' ? this.instantLiteral(endpoint).sql : endpoint;
    const relation = TEMPORAL_RELATIONS[name];
    const comparisons = relation.comparisons.map(([left, operator, right]) => {
      const leftSql = render(endpoints[left]);
      return `${leftSql} ${operator} ${render(endpoints[right])}`;
    });
    return `(${comparisons.join(relation.combine === 'and' ? ' AND ' : ' OR ')})`;
  }
}

/**
 * Translates `e` into a parameterised WHERE clause (values are always bound, never interpolated).
 *
 * - `postgis`: comparisons, LIKE, BETWEEN, IN, IS NULL, arithmetic, CASEI via `lower()`, ACCENTI via `unaccent()`
 *   when `unaccent` is set, S_* via ST_* (literals `ST_GeomFromText($n, 4326)`, transformed to `storageSrid`),
 *   T_* via timestamptz comparisons (columns are cast with `::timestamptz`; run the session in UTC so that DATE
 *   columns mean 00:00Z as in the evaluator).
 * - `sqlite` (GeoPackage without SpatiaLite): comparisons, LIKE (as case-sensitive GLOB), BETWEEN, IN, IS NULL,
 *   arithmetic, T_* and instant comparisons via `unixepoch(column, 'subsec')`; CASEI/ACCENTI only with
 *   `sqliteFunctions`. Spatial and array functions are residual: prefilter with {@link spatialPrefilterBbox}.
 *
 * Top-level AND terms are translated one by one; any other part that cannot be computed exactly makes its whole
 * term residual. A row matches when `where` is true and `residual` (if any) evaluates to true.
 * @throws Cql2Error for an unknown property (`column` returned undefined) or a custom function.
 */
export function toSql(e: Cql2Expression, options: Cql2SqlOptions): Cql2SqlResult {
  const translator = new SqlTranslator(options);
  const terms = isOperation(e) && canonicalOperator(e.op) === 'and' ? e.args : [e];
  const clauses: string[] = [];
  const residual: Cql2Expression[] = [];
  for (const term of terms) {
    const clause = translator.attempt(term);
    if (clause === undefined) residual.push(term);
    else clauses.push(clause);
  }
  const always = options.dialect === 'postgis' ? 'TRUE' : '1';
  return {
    where: clauses.length === 0 ? always : clauses.join(' AND '),
    params: translator.params,
    ...(residual.length === 0
      ? {}
      : { residual: residual.length === 1 ? residual[0] : { op: 'and', args: residual } }),
  };
}

/**
 * Registers `cql2_casei(text)` and `cql2_accenti(text)` on a better-sqlite3 connection, the evaluator's own CASEI and
 * ACCENTI, so that {@link toSql} with `sqliteFunctions: true` can push them down exactly.
 */
export function registerSqliteFunctions(database: Pick<Database, 'function'>): void {
  const options = { deterministic: true, varargs: false };
  database.function('cql2_casei', options, (value: unknown) =>
    typeof value === 'string' ? foldCase(value) : null,
  );
  database.function('cql2_accenti', options, (value: unknown) =>
    typeof value === 'string' ? stripAccents(value) : null,
  );
}

function geometryArgumentBox(e: Cql2Expression): [number, number, number, number] | undefined {
  if (isBbox(e)) return boundingBox(bboxToGeometry(e.bbox));
  if (isGeometry(e)) return boundingBox(e);
  return undefined;
}

// Predicates that hold only where the two geometries share a point.
const INTERSECTING_PREDICATES = new Set([
  's_intersects',
  's_equals',
  's_touches',
  's_within',
  's_overlaps',
  's_crosses',
  's_contains',
]);

/**
 * A box [minx, miny, maxx, maxy] that every feature matching `e` intersects, for an R-tree prefilter; undefined
 * when `e` does not imply one. Safe by construction: only S_* predicates that require a common point between the
 * geometry property and a literal give a box; AND takes the smallest of its terms' boxes, OR the union of all its
 * terms' boxes (undefined if one has none); NOT and everything else give none.
 */
export function spatialPrefilterBbox(
  e: Cql2Expression,
  options: { geometryProperty?: string } = {},
): [number, number, number, number] | undefined {
  const geometryProperty = options.geometryProperty ?? 'geometry';
  if (!isOperation(e)) return undefined;
  const name = canonicalOperator(e.op);
  if (name === 'and') {
    const boxes = e.args.map((arg) => spatialPrefilterBbox(arg, options)).filter((box) => box !== undefined);
    if (boxes.length === 0) return undefined;
    const area = ([minX, minY, maxX, maxY]: number[]) => (maxX - minX) * (maxY - minY);
    return boxes.reduce((smallest, box) => (area(box) < area(smallest) ? box : smallest));
  }
  if (name === 'or') {
    const boxes = e.args.map((arg) => spatialPrefilterBbox(arg, options));
    if (boxes.some((box) => box === undefined)) return undefined;
    return (boxes as [number, number, number, number][]).reduce((union, box) => [
      Math.min(union[0], box[0]),
      Math.min(union[1], box[1]),
      Math.max(union[2], box[2]),
      Math.max(union[3], box[3]),
    ]);
  }
  if (name !== undefined && INTERSECTING_PREDICATES.has(name)) {
    const [first, second] = e.args;
    if (isProperty(first) && first.property === geometryProperty) return geometryArgumentBox(second);
    if (isProperty(second) && second.property === geometryProperty) return geometryArgumentBox(first);
  }
  return undefined;
}
