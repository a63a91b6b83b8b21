// PostGIS (GEOS) as an independent oracle: ST_Relate of PostgreSQL 15 + PostGIS 3 from Debian's packages must give
// the same DE-9IM matrix as relate() on every generated pair.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relate } from '../../../server/geometry';
import { startTestPostgres, type TestPostgres } from '../../setup/postgres';
import { generatePairs } from './generated-geometries';

describe('relate against PostGIS ST_Relate', () => {
  let postgres: TestPostgres | undefined;

  beforeAll(async () => {
    postgres = await startTestPostgres();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it('returns the matrix GEOS computes for the valid, simple pairs of 800 generated ones', async () => {
    const pairs = generatePairs(7_919, 800);
    const result = await postgres!.query(
      // GEOS 3.11's relate is only defined for valid, simple inputs (self-crossing lines can come out wrong).
      `SELECT index, ST_Relate(a, b) AS matrix FROM (
         SELECT ordinality - 1 AS index, ST_GeomFromGeoJSON(pair->>0) AS a, ST_GeomFromGeoJSON(pair->>1) AS b
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS pairs(pair, ordinality)) AS geometries
        WHERE ST_IsValid(a) AND ST_IsValid(b) AND ST_IsSimple(a) AND ST_IsSimple(b)`,
      [JSON.stringify(pairs.map(([a, b]) => [JSON.stringify(a), JSON.stringify(b)]))],
    );
    expect(result.rows.length).toBeGreaterThan(pairs.length / 2);
    const mismatches = result.rows
      .map(({ index, matrix }) => ({
        pair: pairs[Number(index)]!,
        postgis: matrix,
        plaza: relate(...pairs[Number(index)]!),
      }))
      .filter(({ postgis, plaza }) => postgis !== plaza);
    expect(mismatches.map((mismatch) => JSON.stringify(mismatch))).toEqual([]);
  });
});
