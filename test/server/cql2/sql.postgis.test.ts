import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCql2, parseCql2Text, toSql, type Cql2Feature } from '../../../server/cql2';
import { startTestPostgres, type TestPostgres } from '../../setup/postgres';
import { COLUMNS, FILTERS, buildRows, featureOf } from './rows';

// PostgreSQL's lower() maps characters one to one, so ß does not fold to ss as the evaluator's CASEI does.
const POSTGIS_FILTERS = FILTERS.filter((filter) => !/strasse|straße/i.test(filter));

describe('cql2/sql on PostGIS', () => {
  let postgres: TestPostgres;
  let features: Map<number, Cql2Feature & { id: number }>;

  beforeAll(async () => {
    postgres = await startTestPostgres();
    await postgres.query('CREATE EXTENSION IF NOT EXISTS unaccent');
    await postgres.query(`CREATE TABLE places (id integer PRIMARY KEY, name text, height double precision,
      floors integer, built timestamptz, owner text, open_from timestamptz, open_to timestamptz, pool boolean, tags text,
      geom geometry(Geometry, 4326))`);
    // A timestamptz column cannot hold the SQLite rows' 'not a date'; it is NULL here.
    const rows = buildRows().map((row) => ({ ...row, built: row.built === 'not a date' ? null : row.built }));
    for (const row of rows) {
      await postgres.query(
        `INSERT INTO places VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
          CASE WHEN $11::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($11::text), 4326) END)`,
        [
          row.id,
          row.name,
          row.height,
          row.floors,
          row.built,
          row.owner,
          row.open_from,
          row.open_to,
          row.pool === null ? null : row.pool === 1,
          row.tags,
          row.geom,
        ],
      );
    }
    features = new Map(rows.map((row) => [row.id as number, featureOf(row)]));
  }, 60_000);

  afterAll(async () => {
    await postgres?.stop();
  });

  it.each(POSTGIS_FILTERS)('selects the rows the evaluator selects for %s', async (filter) => {
    const expression = parseCql2Text(filter);
    const expected = [...features.values()]
      .filter((feature) => evaluateCql2(expression, feature))
      .map((f) => f.id);
    const { where, params, residual } = toSql(expression, {
      dialect: 'postgis',
      column: (property) =>
        property === 'id' || (COLUMNS as readonly string[]).includes(property) ? `"${property}"` : undefined,
      geometryColumn: 'geom',
      unaccent: true,
    });
    const result = await postgres.query(`SELECT id FROM places WHERE ${where} ORDER BY id`, params);
    const ids = result.rows
      .map((row: { id: number }) => features.get(row.id)!)
      .filter((feature) => residual === undefined || evaluateCql2(residual, feature))
      .map((feature) => feature.id);
    expect(ids).toEqual(expected);
    // Everything but the array functions runs in PostgreSQL.
    expect(residual !== undefined).toBe(/A_|S_WITHIN\(geometry, GEOMETRYCOLLECTION/.test(filter));
  });

  it('transforms literals to the storage SRID', async () => {
    await postgres.query(`CREATE TABLE projected AS SELECT id, ST_Transform(geom, 3857) AS geom FROM places`);
    const filter = parseCql2Text('S_INTERSECTS(geometry, BBOX(7.0012, 51.0012, 7.0138, 51.0138))');
    const expected = [...features.values()]
      .filter((feature) => evaluateCql2(filter, feature))
      .map((f) => f.id);
    const { where, params } = toSql(filter, {
      dialect: 'postgis',
      column: () => undefined,
      geometryColumn: 'geom',
      storageSrid: 3857,
    });
    expect(where).toContain('ST_Transform(');
    const result = await postgres.query(`SELECT id FROM projected WHERE ${where} ORDER BY id`, params);
    expect(result.rows.map((row: { id: number }) => row.id)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(3);
  });
});
