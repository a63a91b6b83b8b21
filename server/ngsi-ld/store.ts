// The broker's storage: one SQLite database per tenant (WAL, synchronous=NORMAL: a committed write survives a
// process crash), entities as JSON with side tables for types, attribute names, an R*Tree over GeoProperty boxes,
// attribute history for the temporal API, and subscriptions.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Geometry } from 'geojson';
import { boundingBox } from '../geometry';
import type { StoredAttribute, StoredEntity } from './entity';
import { badRequestData, ngsiLdError } from './errors';
import type { GeoFilterBox } from './geo-query';

/** The tenant used when a request names none. */
export const DEFAULT_TENANT = '';

const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS entities (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_types (
  entity INTEGER NOT NULL REFERENCES entities(rowid) ON DELETE CASCADE,
  type TEXT NOT NULL,
  PRIMARY KEY (type, entity)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_types_entity ON entity_types(entity);
CREATE TABLE IF NOT EXISTS entity_attributes (
  entity INTEGER NOT NULL REFERENCES entities(rowid) ON DELETE CASCADE,
  attribute TEXT NOT NULL,
  kind TEXT NOT NULL,
  PRIMARY KEY (attribute, entity, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entity_attributes_entity ON entity_attributes(entity);
CREATE TABLE IF NOT EXISTS geo_attributes (
  rowid INTEGER PRIMARY KEY,
  entity INTEGER NOT NULL REFERENCES entities(rowid) ON DELETE CASCADE,
  attribute TEXT NOT NULL,
  geometry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS geo_attributes_entity ON geo_attributes(entity);
-- Auxiliary columns let a geo-query filter by attribute and type and read the geometry without joins.
CREATE VIRTUAL TABLE IF NOT EXISTS geo_rtree USING rtree(id, minX, maxX, minY, maxY, +entity, +attribute, +types, +geometry);
CREATE TABLE IF NOT EXISTS history (
  rowid INTEGER PRIMARY KEY,
  entity_id TEXT NOT NULL,
  attribute TEXT NOT NULL,
  dataset_id TEXT,
  observed_at TEXT,
  recorded_at TEXT NOT NULL,
  instance TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_entity ON history(entity_id, attribute, recorded_at);
CREATE INDEX IF NOT EXISTS history_recorded ON history(recorded_at);
CREATE TABLE IF NOT EXISTS temporal_entities (
  id TEXT PRIMARY KEY,
  types TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
`;

/** What a query selects before the in-memory filters (q, exact geometry). */
export interface EntityFilter {
  ids?: string[];
  idPattern?: RegExp;
  /** Expanded type IRIs; an entity matches when it has any of them. */
  types?: string[];
  /** Expanded attribute IRIs; an entity matches when it has any of them. */
  attributes?: string[];
  geo?: { attribute: string; box?: GeoFilterBox; test: (geometry: Geometry) => boolean };
  /** The in-memory filter (q, scopes). */
  test?: (entity: StoredEntity) => boolean;
}

/** A page of query results. */
export interface EntityPage {
  entities: StoredEntity[];
  /** The number of all matches, when asked for. */
  count?: number;
}

/** One stored history row. */
export interface HistoryRow {
  entityId: string;
  attribute: string;
  instance: StoredAttribute;
}

/** One tenant's database. */
export class TenantStore {
  readonly database: Database.Database;
  readonly #statements;
  readonly #queryCache = new Map<string, Database.Statement>();
  readonly #temporalTypes = new Map<string, string>();

  constructor(
    readonly name: string,
    file: string,
  ) {
    this.database = new Database(file);
    this.database.pragma('journal_mode = WAL');
    this.database.pragma('synchronous = NORMAL');
    this.database.pragma('foreign_keys = ON');
    this.database.pragma('busy_timeout = 5000');
    this.database.exec(SCHEMA);
    this.database.function('regexp', { deterministic: true }, (pattern, value) => {
      if (typeof pattern !== 'string' || typeof value !== 'string') return 0;
      return new RegExp(pattern).test(value) ? 1 : 0;
    });
    const db = this.database;
    this.#statements = {
      get: db.prepare<[string], { rowid: number; doc: string }>(
        'SELECT rowid, doc FROM entities WHERE id = ?',
      ),
      getByRowid: db.prepare<[number], { doc: string }>('SELECT doc FROM entities WHERE rowid = ?'),
      insert: db.prepare<[string, string]>('INSERT INTO entities (id, doc) VALUES (?, ?)'),
      update: db.prepare<[string, number]>('UPDATE entities SET doc = ? WHERE rowid = ?'),
      delete: db.prepare<[number]>('DELETE FROM entities WHERE rowid = ?'),
      deleteTypes: db.prepare<[number]>('DELETE FROM entity_types WHERE entity = ?'),
      insertType: db.prepare<[number, string]>(
        'INSERT OR IGNORE INTO entity_types (entity, type) VALUES (?, ?)',
      ),
      deleteAttributes: db.prepare<[number]>('DELETE FROM entity_attributes WHERE entity = ?'),
      insertAttribute: db.prepare<[number, string, string]>(
        'INSERT OR IGNORE INTO entity_attributes (entity, attribute, kind) VALUES (?, ?, ?)',
      ),
      geoRowids: db.prepare<[number], { rowid: number }>('SELECT rowid FROM geo_attributes WHERE entity = ?'),
      deleteGeo: db.prepare<[number]>('DELETE FROM geo_attributes WHERE entity = ?'),
      deleteGeoIndex: db.prepare<[number]>('DELETE FROM geo_rtree WHERE id = ?'),
      insertGeo: db.prepare<[number, string, string]>(
        'INSERT INTO geo_attributes (entity, attribute, geometry) VALUES (?, ?, ?)',
      ),
      insertGeoIndex: db.prepare<
        [number | bigint, number, number, number, number, number, string, string, string]
      >(
        'INSERT INTO geo_rtree (id, minX, maxX, minY, maxY, entity, attribute, types, geometry) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertHistory: db.prepare<[string, string, string | null, string | null, string, string]>(
        'INSERT INTO history (entity_id, attribute, dataset_id, observed_at, recorded_at, instance) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      upsertTemporalEntity: db.prepare<[string, string, string]>(
        'INSERT INTO temporal_entities (id, types, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET types = excluded.types',
      ),
      pruneHistory: db.prepare<[string]>('DELETE FROM history WHERE recorded_at < ?'),
      typeSummary: db.prepare<[], { type: string; count: number }>(
        'SELECT type, COUNT(*) AS count FROM entity_types GROUP BY type ORDER BY type',
      ),
      attributeSummary: db.prepare<[], { attribute: string; kind: string; count: number }>(
        'SELECT attribute, kind, COUNT(*) AS count FROM entity_attributes GROUP BY attribute, kind ORDER BY attribute',
      ),
      typeAttributes: db.prepare<[string], { attribute: string; kind: string }>(
        'SELECT DISTINCT a.attribute, a.kind FROM entity_types t JOIN entity_attributes a ON a.entity = t.entity WHERE t.type = ? ORDER BY a.attribute',
      ),
      attributeTypes: db.prepare<[string], { type: string }>(
        'SELECT DISTINCT t.type FROM entity_attributes a JOIN entity_types t ON t.entity = a.entity WHERE a.attribute = ? ORDER BY t.type',
      ),
      allSubscriptions: db.prepare<[], { id: string; doc: string }>('SELECT id, doc FROM subscriptions'),
      putSubscription: db.prepare<[string, string]>(
        'INSERT INTO subscriptions (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc',
      ),
      deleteSubscription: db.prepare<[string]>('DELETE FROM subscriptions WHERE id = ?'),
    };
  }

  /** Runs `work` in one transaction (all or nothing). */
  transaction<T>(work: () => T): T {
    try {
      return this.database.transaction(work)();
    } catch (error) {
      // A rolled-back transaction may have taken rows the cache believes written.
      this.#temporalTypes.clear();
      throw error;
    }
  }

  /** The entity with this id, or undefined. */
  getEntity(id: string): StoredEntity | undefined {
    const row = this.#statements.get.get(id);
    return row ? (JSON.parse(row.doc) as StoredEntity) : undefined;
  }

  /**
   * Inserts a new entity.
   * @throws ApiError 409 AlreadyExists when the id is taken
   */
  insertEntity(entity: StoredEntity): void {
    if (this.#statements.get.get(entity.id))
      throw ngsiLdError('AlreadyExists', `entity ${entity.id} already exists`);
    const result = this.#statements.insert.run(entity.id, JSON.stringify(entity));
    this.#index(Number(result.lastInsertRowid), entity);
  }

  /**
   * Writes an entity that exists (any change: replace, append, update, merge). With `previous`, the side tables
   * are rewritten only when types, attribute names or geometries changed: a value update is one UPDATE.
   */
  writeEntity(entity: StoredEntity, previous?: StoredEntity): void {
    const row = this.#statements.get.get(entity.id);
    if (!row) {
      this.insertEntity(entity);
      return;
    }
    this.#statements.update.run(JSON.stringify(entity), row.rowid);
    if (previous && indexSignature(previous) === indexSignature(entity)) return;
    this.#unindex(row.rowid);
    this.#index(row.rowid, entity);
  }

  /** Deletes an entity; returns it, or undefined when there was none. */
  deleteEntity(id: string): StoredEntity | undefined {
    const row = this.#statements.get.get(id);
    if (!row) return undefined;
    this.#unindex(row.rowid);
    this.#statements.delete.run(row.rowid);
    return JSON.parse(row.doc) as StoredEntity;
  }

  #unindex(rowid: number): void {
    this.#statements.deleteTypes.run(rowid);
    this.#statements.deleteAttributes.run(rowid);
    for (const geo of this.#statements.geoRowids.all(rowid)) this.#statements.deleteGeoIndex.run(geo.rowid);
    this.#statements.deleteGeo.run(rowid);
  }

  #index(rowid: number, entity: StoredEntity): void {
    for (const type of entity.types) this.#statements.insertType.run(rowid, type);
    for (const [attribute, instances] of Object.entries(entity.attributes)) {
      for (const instance of instances) {
        this.#statements.insertAttribute.run(rowid, attribute, instance.type);
        if (instance.type === 'GeoProperty') {
          const geometry = instance.value as Geometry;
          const [minX, minY, maxX, maxY] = boundingBox(geometry);
          const text = JSON.stringify(geometry);
          const geoRow = this.#statements.insertGeo.run(rowid, attribute, text);
          this.#statements.insertGeoIndex.run(
            geoRow.lastInsertRowid,
            minX,
            maxX,
            minY,
            maxY,
            rowid,
            attribute,
            typeKey(entity.types),
            text,
          );
        }
      }
    }
  }

  /**
   * Finds entities: SQL narrows by id, type, attribute and R*Tree box; `filter.geo.test` and `filter.test` run on
   * the candidates in id order. Stops at offset+limit unless the count is wanted.
   */
  queryEntities(filter: EntityFilter, page: { limit: number; offset: number; count: boolean }): EntityPage {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    // The entity rowid column of the driving table; entities are joined only when a condition needs them.
    let entity = 'e.rowid';
    let from = 'entities e';
    let select = '';
    let typesDone = false;
    const needsEntities = filter.ids !== undefined || filter.idPattern !== undefined;
    if (filter.geo) {
      const box = filter.geo.box;
      if (box) {
        entity = 'r.entity';
        from = `geo_rtree r${needsEntities ? ' JOIN entities e ON e.rowid = r.entity' : ''}`;
        select = ', r.geometry AS geometry';
        const [minX, minY, maxX, maxY] = box.box;
        if (box.mode === 'overlap') {
          conditions.push('r.minX <= ? AND r.maxX >= ? AND r.minY <= ? AND r.maxY >= ?');
          parameters.push(maxX, minX, maxY, minY);
        } else if (box.mode === 'inside') {
          conditions.push('r.minX >= ? AND r.maxX <= ? AND r.minY >= ? AND r.maxY <= ?');
          parameters.push(minX, maxX, minY, maxY);
        } else {
          conditions.push('r.minX <= ? AND r.maxX >= ? AND r.minY <= ? AND r.maxY >= ?');
          parameters.push(minX, maxX, minY, maxY);
        }
        conditions.push('r.attribute = ?');
        parameters.push(filter.geo.attribute);
        if (filter.types) {
          conditions.push(`(${filter.types.map(() => 'instr(r.types, ?) > 0').join(' OR ')})`);
          parameters.push(...filter.types.map((type) => typeKey([type])));
          typesDone = true;
        }
      } else {
        entity = 'g.entity';
        from = `geo_attributes g${needsEntities ? ' JOIN entities e ON e.rowid = g.entity' : ''}`;
        select = ', g.geometry AS geometry';
        conditions.push('g.attribute = ?');
        parameters.push(filter.geo.attribute);
      }
    }
    if (filter.ids) {
      conditions.push(`e.id IN (${filter.ids.map(() => '?').join(',')})`);
      parameters.push(...filter.ids);
    }
    if (filter.idPattern) {
      conditions.push('e.id REGEXP ?');
      parameters.push(filter.idPattern.source);
    }
    if (filter.types && !typesDone) {
      conditions.push(
        `EXISTS (SELECT 1 FROM entity_types t WHERE t.entity = ${entity} AND t.type IN (${filter.types.map(() => '?').join(',')}))`,
      );
      parameters.push(...filter.types);
    }
    if (filter.attributes) {
      conditions.push(
        `EXISTS (SELECT 1 FROM entity_attributes a WHERE a.entity = ${entity} AND a.attribute IN (${filter.attributes.map(() => '?').join(',')}))`,
      );
      parameters.push(...filter.attributes);
    }
    // Documents are read by rowid only for the candidates that need them, so the ordered scan carries small rows.
    const sql = `SELECT ${entity} AS rowid${select} FROM ${from}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${entity}`;
    let statement = this.#queryCache.get(sql);
    if (!statement) {
      statement = this.database.prepare(sql);
      if (this.#queryCache.size > 200) this.#queryCache.clear();
      this.#queryCache.set(sql, statement);
    }
    const entities: StoredEntity[] = [];
    let matched = 0;
    let lastRowid = -1;
    const end = page.offset + page.limit;
    for (const row of statement.iterate(...parameters) as Iterable<{
      rowid: number;
      doc: string;
      geometry?: string;
    }>) {
      // An entity with several geometries under one attribute (datasets) comes once per geometry.
      if (row.rowid === lastRowid) continue;
      if (filter.geo && row.geometry !== undefined && !filter.geo.test(JSON.parse(row.geometry) as Geometry))
        continue;
      let entity: StoredEntity | undefined;
      if (filter.test) {
        entity = JSON.parse(this.#statements.getByRowid.get(row.rowid)!.doc) as StoredEntity;
        if (!filter.test(entity)) continue;
      }
      lastRowid = row.rowid;
      if (matched >= page.offset && matched < end)
        entities.push(
          entity ?? (JSON.parse(this.#statements.getByRowid.get(row.rowid)!.doc) as StoredEntity),
        );
      matched++;
      if (matched >= end && !page.count) break;
    }
    return page.count ? { entities, count: matched } : { entities };
  }

  /** Records attribute instances in the history (temporal API). */
  recordHistory(
    entity: StoredEntity,
    attributes: Record<string, StoredAttribute[]>,
    recordedAt: string,
  ): void {
    const types = JSON.stringify(entity.types);
    // The temporal entity row changes only with the types: most writes skip it.
    if (this.#temporalTypes.get(entity.id) !== types) {
      this.#statements.upsertTemporalEntity.run(entity.id, types, entity.createdAt);
      if (this.#temporalTypes.size >= 200_000) this.#temporalTypes.clear();
      this.#temporalTypes.set(entity.id, types);
    }
    for (const [attribute, instances] of Object.entries(attributes)) {
      for (const instance of instances) {
        this.#statements.insertHistory.run(
          entity.id,
          attribute,
          instance.datasetId ?? null,
          instance.observedAt ?? null,
          recordedAt,
          JSON.stringify(instance),
        );
      }
    }
  }

  /** Deletes history recorded before `before` (ISO time); returns the number of rows removed. */
  pruneHistory(before: string): number {
    return this.#statements.pruneHistory.run(before).changes;
  }

  /** Entity types with their entity counts. */
  typeSummary(): Array<{ type: string; count: number }> {
    return this.#statements.typeSummary.all();
  }

  /** Attribute names with their kinds and the number of entities having them. */
  attributeSummary(): Array<{ attribute: string; kind: string; count: number }> {
    return this.#statements.attributeSummary.all();
  }

  /** The attributes (and their kinds) of entities of a type. */
  typeAttributes(type: string): Array<{ attribute: string; kind: string }> {
    return this.#statements.typeAttributes.all(type);
  }

  /** The types of entities that have an attribute. */
  attributeTypes(attribute: string): string[] {
    return this.#statements.attributeTypes.all(attribute).map((row) => row.type);
  }

  /** Stored subscriptions, as JSON documents. */
  loadSubscriptions(): Array<{ id: string; doc: string }> {
    return this.#statements.allSubscriptions.all();
  }

  putSubscription(id: string, doc: string): void {
    this.#statements.putSubscription.run(id, doc);
  }

  deleteSubscription(id: string): boolean {
    return this.#statements.deleteSubscription.run(id).changes > 0;
  }

  close(): void {
    if (this.database.open) this.database.close();
  }
}

/** The R*Tree's type column: every type between newlines, so that `instr` matches whole IRIs only. */
function typeKey(types: string[]): string {
  return `\n${types.join('\n')}\n`;
}

/** What the side tables hold of an entity: types, attribute names and kinds, geometries. */
function indexSignature(entity: StoredEntity): string {
  const parts: string[] = [entity.types.join(' ')];
  for (const [attribute, instances] of Object.entries(entity.attributes)) {
    for (const instance of instances) {
      parts.push(
        `${attribute} ${instance.type}${instance.type === 'GeoProperty' ? JSON.stringify(instance.value) : ''}`,
      );
    }
  }
  return parts.join('\n');
}

/** All tenants' databases under one folder. */
export class BrokerStore {
  readonly #tenants = new Map<string, TenantStore>();
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
    mkdirSync(directory, { recursive: true });
  }

  #file(tenant: string): string {
    return join(this.#directory, tenant === DEFAULT_TENANT ? 'default.sqlite' : `tenant-${tenant}.sqlite`);
  }

  /**
   * A tenant's store. Writes create a tenant; reads of one that does not exist answer 404 NonexistentTenant.
   * @throws ApiError 400 for an invalid tenant name, 404 NonexistentTenant when `create` is false and it is unknown
   */
  tenant(name: string, create: boolean): TenantStore {
    const open = this.#tenants.get(name);
    if (open) return open;
    if (name !== DEFAULT_TENANT && !TENANT_NAME.test(name)) {
      throw badRequestData(
        `NGSILD-Tenant '${name}' is not a valid tenant name (letters, digits, '_' and '-', at most 64)`,
      );
    }
    const file = this.#file(name);
    if (!create && name !== DEFAULT_TENANT && !existsSync(file)) {
      throw ngsiLdError('NonexistentTenant', `tenant '${name}' does not exist`);
    }
    const store = new TenantStore(name, file);
    this.#tenants.set(name, store);
    return store;
  }

  /** Names of the tenants that have a database (the default tenant is ''). */
  tenantNames(): string[] {
    const names = new Set<string>([DEFAULT_TENANT, ...this.#tenants.keys()]);
    for (const file of readdirSync(this.#directory)) {
      const match = /^tenant-([A-Za-z0-9_-]+)\.sqlite$/.exec(file);
      if (match) names.add(match[1]);
    }
    return [...names];
  }

  /** Opened tenant stores. */
  openTenants(): TenantStore[] {
    return [...this.#tenants.values()];
  }

  close(): void {
    for (const store of this.#tenants.values()) store.close();
    this.#tenants.clear();
  }
}
