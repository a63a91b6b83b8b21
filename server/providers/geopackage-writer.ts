// Writes GeoPackage 1.3 vector files with better-sqlite3: the required metadata tables, GeoPackageBinary geometries
// and an R-tree spatial index maintained by the standard triggers (their ST_* functions registered here).
import { renameSync, rmSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Geometry } from 'geojson';
import { encodeGeoPackageGeometry, readGeoPackageHeader } from './geopackage-binary';
import { boundingBoxOf } from './geometry';

/** SQLite column types GeoPackage allows for attributes. */
export type GeoPackageColumnType = 'TEXT' | 'INTEGER' | 'REAL' | 'BOOLEAN' | 'DATE' | 'DATETIME';

/** A spatial reference system entry. */
export interface GeoPackageSpatialReference {
  srsId: number;
  name: string;
  organization: string;
  organizationId: number;
  /** OGC WKT definition. */
  definition: string;
}

/** One feature table to write. */
export interface GeoPackageLayer {
  /** Table name: letters, digits and underscores. */
  name: string;
  title?: string;
  description?: string;
  /** GeoPackage geometry type name: POINT, LINESTRING, POLYGON, MULTIPOLYGON, GEOMETRY, ... */
  geometryType: string;
  /** srs_id of the geometries (default 4326, coordinates longitude, latitude). */
  srsId?: number;
  columns: { name: string; type: GeoPackageColumnType }[];
  features: { geometry: Geometry | null; properties: Record<string, unknown> }[];
}

/** EPSG:4326 as GeoPackage requires it. */
export const WGS84_SPATIAL_REFERENCE: GeoPackageSpatialReference = {
  srsId: 4326,
  name: 'WGS 84 geodetic',
  organization: 'EPSG',
  organizationId: 4326,
  definition:
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]',
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function rtreeTriggers(table: string, column: string): string {
  const rtree = `rtree_${table}_${column}`;
  const values = `NEW.fid, ST_MinX(NEW.${column}), ST_MaxX(NEW.${column}), ST_MinY(NEW.${column}), ST_MaxY(NEW.${column})`;
  return `
CREATE TRIGGER ${rtree}_insert AFTER INSERT ON ${table} WHEN (NEW.${column} NOT NULL AND NOT ST_IsEmpty(NEW.${column}))
BEGIN INSERT OR REPLACE INTO ${rtree} VALUES (${values}); END;
CREATE TRIGGER ${rtree}_update1 AFTER UPDATE OF ${column} ON ${table} WHEN OLD.fid = NEW.fid AND (NEW.${column} NOTNULL AND NOT ST_IsEmpty(NEW.${column}))
BEGIN INSERT OR REPLACE INTO ${rtree} VALUES (${values}); END;
CREATE TRIGGER ${rtree}_update2 AFTER UPDATE OF ${column} ON ${table} WHEN OLD.fid = NEW.fid AND (NEW.${column} ISNULL OR ST_IsEmpty(NEW.${column}))
BEGIN DELETE FROM ${rtree} WHERE id = OLD.fid; END;
CREATE TRIGGER ${rtree}_update3 AFTER UPDATE ON ${table} WHEN OLD.fid != NEW.fid AND (NEW.${column} NOTNULL AND NOT ST_IsEmpty(NEW.${column}))
BEGIN DELETE FROM ${rtree} WHERE id = OLD.fid; INSERT OR REPLACE INTO ${rtree} VALUES (${values}); END;
CREATE TRIGGER ${rtree}_update4 AFTER UPDATE ON ${table} WHEN OLD.fid != NEW.fid AND (NEW.${column} ISNULL OR ST_IsEmpty(NEW.${column}))
BEGIN DELETE FROM ${rtree} WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER ${rtree}_delete AFTER DELETE ON ${table} WHEN OLD.${column} NOT NULL
BEGIN DELETE FROM ${rtree} WHERE id = OLD.fid; END;`;
}

/** Registers the geometry functions the GeoPackage R-tree triggers call, reading blob headers. */
export function registerGeoPackageFunctions(database: Database.Database): void {
  const envelope = (blob: unknown): [number, number, number, number] | undefined => {
    if (!(blob instanceof Uint8Array)) return undefined;
    const header = readGeoPackageHeader(blob);
    if (header.envelope) return header.envelope;
    return undefined;
  };
  database.function('ST_IsEmpty', { deterministic: true }, (blob: unknown) =>
    blob instanceof Uint8Array ? (readGeoPackageHeader(blob).empty ? 1 : 0) : null,
  );
  database.function('ST_MinX', { deterministic: true }, (blob: unknown) => envelope(blob)?.[0] ?? null);
  database.function('ST_MaxX', { deterministic: true }, (blob: unknown) => envelope(blob)?.[1] ?? null);
  database.function('ST_MinY', { deterministic: true }, (blob: unknown) => envelope(blob)?.[2] ?? null);
  database.function('ST_MaxY', { deterministic: true }, (blob: unknown) => envelope(blob)?.[3] ?? null);
}

function toSqlValue(value: unknown, type: GeoPackageColumnType): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'BOOLEAN') return value ? 1 : 0;
  if (value instanceof Date) return type === 'DATE' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * Writes a GeoPackage with the given layers, replacing `path` atomically (written beside it, then renamed).
 * @throws Error when a table or column name is not a plain identifier
 */
export function writeGeoPackage(
  path: string,
  layers: GeoPackageLayer[],
  spatialReferences: GeoPackageSpatialReference[] = [],
): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.writing`;
  rmSync(temporary, { force: true });
  const database = new Database(temporary);
  try {
    registerGeoPackageFunctions(database);
    database.pragma('journal_mode = OFF');
    database.pragma(`application_id = ${0x47504b47}`);
    database.pragma('user_version = 10300');
    database.exec(`
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_ogr_contents (table_name TEXT NOT NULL PRIMARY KEY, feature_count INTEGER DEFAULT NULL);`);
    const insertReference = database.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)');
    insertReference.run(
      'Undefined cartesian SRS',
      -1,
      'NONE',
      -1,
      'undefined',
      'undefined cartesian coordinate reference system',
    );
    insertReference.run(
      'Undefined geographic SRS',
      0,
      'NONE',
      0,
      'undefined',
      'undefined geographic coordinate reference system',
    );
    for (const reference of [
      WGS84_SPATIAL_REFERENCE,
      ...spatialReferences.filter((entry) => entry.srsId !== 4326),
    ]) {
      insertReference.run(
        reference.name,
        reference.srsId,
        reference.organization,
        reference.organizationId,
        reference.definition,
        null,
      );
    }
    for (const layer of layers) writeLayer(database, layer);
  } finally {
    database.close();
  }
  renameSync(temporary, path);
}

function writeLayer(database: Database.Database, layer: GeoPackageLayer): void {
  const srsId = layer.srsId ?? 4326;
  if (!NAME.test(layer.name)) throw new Error(`'${layer.name}' is not a usable GeoPackage table name`);
  for (const column of layer.columns) {
    if (!NAME.test(column.name) || ['fid', 'geom'].includes(column.name.toLowerCase())) {
      throw new Error(`'${column.name}' is not a usable GeoPackage column name in ${layer.name}`);
    }
  }
  const columns = layer.columns.map((column) => `"${column.name}" ${column.type}`).join(', ');
  database.exec(`CREATE TABLE "${layer.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom ${layer.geometryType}${columns ? `, ${columns}` : ''});
CREATE VIRTUAL TABLE rtree_${layer.name}_geom USING rtree(id, minx, maxx, miny, maxy);
${rtreeTriggers(layer.name, 'geom')}`);
  let extent: [number, number, number, number] | undefined;
  const hasZ = layer.features.some((feature) => {
    const geometry = feature.geometry;
    return (
      geometry !== null && JSON.stringify(geometry).match(/\[-?[\d.e+-]+,-?[\d.e+-]+,-?[\d.e+-]+\]/) !== null
    );
  });
  const insert = database.prepare(
    `INSERT INTO "${layer.name}" (geom${layer.columns.map((column) => `, "${column.name}"`).join('')}) VALUES (?${', ?'.repeat(layer.columns.length)})`,
  );
  database.transaction(() => {
    for (const feature of layer.features) {
      const box = boundingBoxOf(feature.geometry);
      if (box) {
        extent = extent
          ? [
              Math.min(extent[0], box[0]),
              Math.min(extent[1], box[1]),
              Math.max(extent[2], box[2]),
              Math.max(extent[3], box[3]),
            ]
          : [...box];
      }
      insert.run(
        feature.geometry ? encodeGeoPackageGeometry(feature.geometry, srsId) : null,
        ...layer.columns.map((column) => toSqlValue(feature.properties[column.name], column.type)),
      );
    }
  })();
  database
    .prepare(
      'INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(
      layer.name,
      'features',
      layer.title ?? layer.name,
      layer.description ?? '',
      extent?.[0] ?? null,
      extent?.[1] ?? null,
      extent?.[2] ?? null,
      extent?.[3] ?? null,
      srsId,
    );
  database
    .prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, ?, ?)')
    .run(layer.name, 'geom', layer.geometryType, srsId, hasZ ? 1 : 0, 0);
  database
    .prepare('INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)')
    .run(
      layer.name,
      'geom',
      'gpkg_rtree_index',
      'http://www.geopackage.org/spec120/#extension_rtree',
      'write-only',
    );
  database.prepare('INSERT INTO gpkg_ogr_contents VALUES (?, ?)').run(layer.name, layer.features.length);
}
