// PostGIS (GEOS) as an independent oracle: ST_Relate of PostgreSQL 15 + PostGIS 3 from Debian's packages must give
// the same DE-9IM matrix as relate() on every generated pair.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relate } from '../../../server/geometry';
import { generatePairs } from './generated-geometries';

const BIN = '/usr/lib/postgresql/15/bin';

function asPostgres(command: string, args: string[]): void {
  if (process.getuid?.() === 0)
    execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
  else execFileSync(command, args, { stdio: 'pipe' });
}

describe('relate against PostGIS ST_Relate', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'plaza-geometry-pg-'));
  const data = path.join(folder, 'data');
  const port = 40000 + Math.floor(Math.random() * 20000);
  let client: pg.Client | undefined;

  beforeAll(async () => {
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
      chownSync(folder, id('-u'), id('-g'));
    }
    asPostgres(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    asPostgres(`${BIN}/pg_ctl`, [
      '-D',
      data,
      '-o',
      `-p ${port} -k ${folder} -c listen_addresses= -c fsync=off`,
      '-w',
      '-l',
      path.join(folder, 'log'),
      'start',
    ]);
    client = new pg.Client({ host: folder, port, user: 'postgres', database: 'postgres' });
    await client.connect();
    await client.query('CREATE EXTENSION postgis');
  });

  afterAll(async () => {
    await client?.end();
    try {
      asPostgres(`${BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('returns the matrix GEOS computes for the valid, simple pairs of 800 generated ones', async () => {
    const pairs = generatePairs(7_919, 800);
    const result = await client!.query<{ index: number; matrix: string }>(
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
