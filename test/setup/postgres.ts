// Starts a throw-away PostgreSQL 15 + PostGIS 3 server from Debian's packages for tests: initdb in a temp folder,
// a free port on 127.0.0.1, the socket in the temp folder, trust authentication; stopped and deleted in teardown.
// As root the server runs as the `postgres` user (runuser), as PostgreSQL refuses to run as root.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/** A running test database. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  connectionString: string;
  port: number;
  /** A client connected to the database, for fixture setup. */
  query(sql: string, parameters?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts PostgreSQL with the PostGIS extension created.
 * @throws Error naming the missing Debian package when PostgreSQL 15 or PostGIS is not installed
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(BIN, 'initdb'))) {
    throw new Error(
      'PostgreSQL 15 is not installed: apt-get install postgresql-15-postgis-3 (see test/setup/system-packages.txt)',
    );
  }
  if (!existsSync('/usr/share/postgresql/15/extension/postgis.control')) {
    throw new Error('PostGIS 3 for PostgreSQL 15 is not installed: apt-get install postgresql-15-postgis-3');
  }
  const asRoot = process.getuid?.() === 0;
  const directory = mkdtempSync(join(tmpdir(), 'plaza-postgres-'));
  const dataDirectory = join(directory, 'data');
  const command = async (binary: string, args: string[]) => {
    const path = join(BIN, binary);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', path, ...args]) : run(path, args);
  };
  if (asRoot) {
    chmodSync(directory, 0o755);
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    chownSync(directory, Number(stdout.trim()), Number(group.trim()));
  }
  await command('initdb', [
    '-D',
    dataDirectory,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '-N',
  ]);
  const port = await freePort();
  await command('pg_ctl', [
    '-D',
    dataDirectory,
    '-l',
    join(directory, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    'start',
  ]);
  const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString });
  const stop = async () => {
    await client.end().catch(() => undefined);
    await command('pg_ctl', ['-D', dataDirectory, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectionString, port, query: (sql, parameters) => client.query(sql, parameters), stop };
}
