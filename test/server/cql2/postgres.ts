// Starts a throw-away PostgreSQL 15 + PostGIS (Debian packages) on a Unix socket in a temporary folder, for tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  client: pg.Client;
  stop(): Promise<void>;
}

function asPostgres(command: string, args: string[]): void {
  const run =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(run[0] as string, run[1] as string[], { stdio: 'pipe' });
}

/** initdb + pg_ctl start in a fresh folder (no TCP listener), then a connected client with postgis and unaccent. */
export async function startPostgres(): Promise<TestPostgres> {
  const folder = mkdtempSync(path.join(tmpdir(), 'plaza-cql2-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(folder, uid, gid);
  }
  const data = path.join(folder, 'data');
  const port = 40000 + Math.floor(Math.random() * 20000);
  asPostgres(`${BIN}/initdb`, [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
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
  const stopServer = () => {
    try {
      asPostgres(`${BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  const client = new pg.Client({ host: folder, port, user: 'postgres', database: 'postgres' });
  try {
    await client.connect();
    await client.query(`SET TIME ZONE 'UTC'`);
    await client.query('CREATE EXTENSION postgis; CREATE EXTENSION unaccent;');
  } catch (error) {
    stopServer();
    throw error;
  }
  return {
    client,
    async stop() {
      await client.end();
      stopServer();
    },
  };
}
