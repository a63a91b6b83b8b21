// `npm run bench:ogc`: the same GeoPackage (10,000 square polygons) served by Plaza's OGC API Features and by
// MapServer 8's OGC API (FastCGI under lighttpd), side by side with autocannon: items?limit=100 and a bbox query
// (~900 features, limit 100) at 10 and 50 connections; req/s, p95 latency and Plaza/MapServer ratios. Never fails
// on timing; bounded to about 90 s of load. Needs Debian mapserver-bin, cgi-mapserver and lighttpd (installs them
// when run as root, else prints the command).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { writeGeoPackage } from '../../server/providers/geopackage-writer';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COOLDOWN_MS = Number(process.env.BENCH_COOLDOWN_MS ?? 5000);
const GRID = 100;
const WEST = 8.6;
const SOUTH = 49.85;
const STEP = 0.001;
const SIZE = 0.0008;
/** 30 x 30 cells: 900 squares. */
const BBOX = `${WEST + 20 * STEP},${SOUTH + 20 * STEP},${WEST + 50 * STEP - 0.0001},${SOUTH + 50 * STEP - 0.0001}`;

function ensurePackages(): void {
  const missing = ['/usr/bin/mapserv', '/usr/sbin/lighttpd'].filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(
      'bench:ogc needs MapServer and lighttpd: sudo apt-get install -y mapserver-bin cgi-mapserver lighttpd',
    );
    process.exit(1);
  }
  console.log('installing mapserver-bin cgi-mapserver lighttpd ...');
  execFileSync(
    'bash',
    ['-c', 'flock /tmp/apt.lock apt-get install -y -q mapserver-bin cgi-mapserver lighttpd'],
    { stdio: 'inherit' },
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function writeData(directory: string): string {
  const path = join(directory, 'bench.gpkg');
  const features = [];
  for (let row = 0; row < GRID; row++) {
    for (let column = 0; column < GRID; column++) {
      const x = WEST + column * STEP;
      const y = SOUTH + row * STEP;
      const code = row * GRID + column + 1;
      features.push({
        geometry: {
          type: 'Polygon' as const,
          coordinates: [
            [
              [x, y],
              [x + SIZE, y],
              [x + SIZE, y + SIZE],
              [x, y + SIZE],
              [x, y],
            ],
          ],
        },
        properties: { code, name: `square ${code}`, height: (code % 40) + 3.5 },
      });
    }
  }
  writeGeoPackage(path, [
    {
      name: 'squares',
      geometryType: 'POLYGON',
      columns: [
        { name: 'code', type: 'INTEGER' },
        { name: 'name', type: 'TEXT' },
        { name: 'height', type: 'REAL' },
      ],
      features,
    },
  ]);
  return path;
}

async function waitFor(url: string, what: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`${what} did not answer ${url} within ${seconds} s`);
}

async function startPlazaProcess(
  directory: string,
  gpkg: string,
): Promise<{ base: string; process: ChildProcess }> {
  const port = await freePort();
  const config = join(directory, 'collections.json');
  writeFileSync(
    config,
    JSON.stringify({
      demoLayers: false,
      tilesets: false,
      ngsiLdTypes: false,
      collections: [
        { id: 'squares', title: 'Squares', provider: { type: 'geopackage', path: gpkg, table: 'squares' } },
      ],
    }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('server/main.ts')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(directory, 'plaza-data'),
      TILESETS_DIR: join(directory, 'tilesets'),
      PLAZA_COLLECTIONS: config,
      PLAZA_SIMULATOR: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}/ogc`;
  await waitFor(`${base}/collections/squares`, 'Plaza');
  return { base, process: child };
}

async function startMapServer(
  directory: string,
  gpkg: string,
): Promise<{ base: string; process: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/cgi-bin/mapserv/bench/ogcapi`;
  const extent = `${WEST} ${SOUTH} ${WEST + GRID * STEP} ${SOUTH + GRID * STEP}`;
  const mapfile = join(directory, 'bench.map');
  writeFileSync(
    mapfile,
    `MAP
  NAME "bench"
  EXTENT ${extent}
  PROJECTION "init=epsg:4326" END
  WEB
    METADATA
      "oga_enable_request" "*"
      "oga_onlineresource" "${base}"
      "oga_html_template_directory" "/usr/share/mapserver/ogcapi/templates/html-plain/"
      "ows_title" "bench"
      "ows_enable_request" "*"
      "ows_srs" "EPSG:4326"
    END
  END
  LAYER
    NAME "squares"
    TYPE POLYGON
    STATUS ON
    CONNECTIONTYPE OGR
    CONNECTION "${gpkg}"
    DATA "squares"
    TEMPLATE "void"
    EXTENT ${extent}
    PROJECTION "init=epsg:4326" END
    METADATA
      "ows_title" "squares"
      "gml_include_items" "all"
      "gml_featureid" "code"
      "gml_types" "auto"
    END
    CLASS STYLE COLOR 0 0 255 END END
  END
END
`,
  );
  const configFile = join(directory, 'mapserver.conf');
  writeFileSync(
    configFile,
    `CONFIG
  ENV
    MS_MAP_PATTERN "^${directory}/.*"
  END
  MAPS
    "bench" "${mapfile}"
  END
END
`,
  );
  const lighttpdConfig = join(directory, 'lighttpd.conf');
  writeFileSync(
    lighttpdConfig,
    `server.document-root = "${directory}"
server.port = ${port}
server.bind = "127.0.0.1"
server.errorlog = "${directory}/lighttpd-error.log"
server.modules = ("mod_fastcgi")
fastcgi.server = ( "/cgi-bin/mapserv" => ((
  "socket" => "${directory}/mapserv.sock",
  "check-local" => "disable",
  "bin-path" => "/usr/bin/mapserv",
  "max-procs" => 2,
  "bin-environment" => ( "MAPSERVER_CONFIG_FILE" => "${configFile}" )
)) )
`,
  );
  // Its own process group, so that teardown also stops the mapserv FastCGI workers lighttpd spawned; no inherited
  // stdout, which the workers would otherwise hold open after the bench ends.
  const child = spawn('/usr/sbin/lighttpd', ['-D', '-f', lighttpdConfig], {
    stdio: 'ignore',
    detached: true,
  });
  await waitFor(`${base}/collections/squares?f=json`, 'MapServer');
  return { base, process: child };
}

interface Figures {
  requestsPerSecond: number;
  p95: number;
  errors: number;
}

async function measure(url: string, connections: number): Promise<Figures> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolveRun, reject) => {
    const instance = autocannon(
      { url, connections, duration: DURATION_SECONDS, headers: { accept: 'application/geo+json' } },
      (error, finished) => (error ? reject(error) : resolveRun(finished)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  // A server keeps working through its backlog after autocannon stops; let it drain so it does not slow the next run.
  await new Promise((resolveWait) => setTimeout(resolveWait, COOLDOWN_MS));
  return {
    requestsPerSecond: result.requests.average,
    p95: latencies[Math.floor(latencies.length * 0.95)] ?? NaN,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function checkSameAnswer(plaza: string, mapServer: string): Promise<void> {
  const count = async (url: string) =>
    ((await (await fetch(url)).json()) as { features: unknown[] }).features.length;
  for (const query of ['limit=100', `limit=100&bbox=${BBOX}`]) {
    const [a, b] = [
      await count(`${plaza}/collections/squares/items?${query}`),
      await count(`${mapServer}/collections/squares/items?f=json&${query}`),
    ];
    console.log(`check ${query}: Plaza ${a} features, MapServer ${b} features`);
  }
}

async function main(): Promise<void> {
  ensurePackages();
  const directory = mkdtempSync(join(tmpdir(), 'plaza-bench-ogc-'));
  const children: ChildProcess[] = [];
  try {
    const gpkg = writeData(directory);
    const plaza = await startPlazaProcess(directory, gpkg);
    children.push(plaza.process);
    const mapServer = await startMapServer(directory, gpkg);
    children.push(mapServer.process);
    await checkSameAnswer(plaza.base, mapServer.base);
    const rows: string[] = [];
    for (const [label, query] of [
      ['items?limit=100', 'limit=100'],
      ['bbox (~900), limit=100', `limit=100&bbox=${BBOX}`],
    ]) {
      for (const connections of [10, 50]) {
        const plazaFigures = await measure(`${plaza.base}/collections/squares/items?${query}`, connections);
        const mapServerFigures = await measure(
          `${mapServer.base}/collections/squares/items?f=json&${query}`,
          connections,
        );
        rows.push(
          `| ${label} | ${connections} | ${plazaFigures.requestsPerSecond.toFixed(1)} | ${plazaFigures.p95.toFixed(0)} | ` +
            `${mapServerFigures.requestsPerSecond.toFixed(1)} | ${mapServerFigures.p95.toFixed(0)} | ` +
            `${(plazaFigures.requestsPerSecond / mapServerFigures.requestsPerSecond).toFixed(2)}x | ` +
            `${(plazaFigures.p95 / mapServerFigures.p95).toFixed(2)} | ${plazaFigures.errors}/${mapServerFigures.errors} |`,
        );
        console.log(rows[rows.length - 1]);
      }
    }
    console.log(
      `\nOGC API Features, 10,000 polygons in one GeoPackage, autocannon ${DURATION_SECONDS} s per cell, same host`,
    );
    console.log(
      '| query | connections | Plaza req/s | Plaza p95 ms | MapServer req/s | MapServer p95 ms | throughput ratio | p95 ratio (lower is better) | errors P/M |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    const signal = (name: NodeJS.Signals) => {
      for (const child of children) {
        if (child.pid === undefined || child.exitCode !== null) continue;
        try {
          // The MapServer group (lighttpd and its workers) by group id; Plaza by its own pid.
          if (child.spawnargs[0] === '/usr/sbin/lighttpd') process.kill(-child.pid, name);
          else child.kill(name);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    await new Promise((resolveWait) => setTimeout(resolveWait, 1500));
    // MapServer workers busy with a backlog do not always stop on SIGTERM.
    signal('SIGKILL');
    for (const child of children) child.unref();
    rmSync(directory, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:ogc failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
