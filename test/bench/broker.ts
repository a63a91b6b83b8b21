// Benchmark (`npm run bench:broker`): the embedded NGSI-LD broker at 100,000 entities, served by `server/main.ts` in
// its own process. Prints the batch-upsert ingest rate, GET /entities?type&georel=within p50/p95 at 10 concurrent
// clients (autocannon), the same query as a plain SQLite R*Tree lookup (the floor), and update -> notification
// latency p50/p95 at 1,000 updates/s. No peer broker can run here (Orion-LD needs MongoDB, Scorpio and Stellio a
// JVM build with Postgres/Kafka, none installable offline), so figures are compared against the target
// (geo query p50 < 20 ms) and the floor. Never fails on timing. BENCH_BROKER_ENTITIES overrides the size.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ENTITY_COUNT = Number(process.env.BENCH_BROKER_ENTITIES ?? 100_000);
const BATCH = 1000;
const GEO_SECONDS = 10;
const UPDATE_RATE = 1000;
const UPDATE_SECONDS = 5;
const TARGET_P50_MS = 20;
/** The city area the entities are spread over, and the query window (about 1 % of it: ~1,000 entities). */
const AREA = { minX: 13.0, minY: 52.3, maxX: 13.7, maxY: 52.7 };
const WINDOW = { minX: 13.3, minY: 52.48, maxX: 13.37, maxY: 52.52 };

interface AutocannonResult {
  requests: { total: number; average: number };
  non2xx: number;
  errors: number;
}
interface AutocannonInstance {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void,
  ): void;
}
type Autocannon = ((
  options: Record<string, unknown>,
  callback: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance) & {
  track?: unknown;
};
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** A small deterministic generator (mulberry32) so every run ingests the same city. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

function format(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

/** A free loopback port (the server logs at warn level for speed, so it does not announce its URL). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

async function startPlaza(dataDirectory: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PLAZA_SIMULATOR: 'off',
      // Request logging at info would measure pino, not the broker.
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDirectory,
      APP_DIR: path.join(dataDirectory, 'no-app'),
      TILESETS_DIR: path.join(dataDirectory, 'no-tilesets'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Plaza exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { child, url };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('Plaza did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function makeEntity(index: number, next: () => number): Record<string, unknown> {
  const lon = AREA.minX + next() * (AREA.maxX - AREA.minX);
  const lat = AREA.minY + next() * (AREA.maxY - AREA.minY);
  return {
    id: `urn:ngsi-ld:AirQualityObserved:bench-${index}`,
    type: 'AirQualityObserved',
    no2: {
      type: 'Property',
      value: Math.round(next() * 800) / 10,
      unitCode: 'GQ',
      observedAt: '2026-01-01T00:00:00Z',
    },
    pm10: { type: 'Property', value: Math.round(next() * 500) / 10, unitCode: 'GQ' },
    refDevice: { type: 'Relationship', object: `urn:ngsi-ld:Device:bench-${index}` },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
  };
}

async function ingest(base: string): Promise<number> {
  const next = random(42);
  const started = performance.now();
  for (let offset = 0; offset < ENTITY_COUNT; offset += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, ENTITY_COUNT - offset) }, (_, index) =>
      makeEntity(offset + index, next),
    );
    const response = await fetch(`${base}/entityOperations/upsert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (response.status !== 201 && response.status !== 204)
      throw new Error(`upsert answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  }
  return ENTITY_COUNT / ((performance.now() - started) / 1000);
}

function windowPolygon(): number[][][] {
  const { minX, minY, maxX, maxY } = WINDOW;
  return [
    [
      [minX, minY],
      [maxX, minY],
      [maxX, maxY],
      [minX, maxY],
      [minX, minY],
    ],
  ];
}

async function geoQuery(
  base: string,
  limit: number | undefined,
): Promise<{ p50: number; p95: number; total: number; matches: number; errors: number }> {
  const window = `type=AirQualityObserved&georel=within&geometry=Polygon&coordinates=${encodeURIComponent(JSON.stringify(windowPolygon()))}`;
  const query = limit === undefined ? window : `${window}&limit=${limit}`;
  const counted = await fetch(`${base}/entities?${window}&limit=0&count=true`);
  const matches = Number(counted.headers.get('ngsild-results-count'));
  const latencies: number[] = [];
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: `${base}/entities?${query}`, connections: 10, duration: GEO_SECONDS },
      (error, value) => (error ? reject(error) : resolve(value)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    total: result.requests.total,
    matches,
    errors: result.non2xx + result.errors,
  };
}

/** The floor: the same window as a bare R*Tree lookup joined to the stored rows, in this process. */
function floorQuery(databaseFile: string): { p50: number; p95: number } {
  const database = new Database(databaseFile, { readonly: true });
  const statement = database.prepare(
    `SELECT e.id, e.doc FROM geo_rtree r JOIN entities e ON e.rowid = r.entity
     WHERE r.minX >= ? AND r.maxX <= ? AND r.minY >= ? AND r.maxY <= ? ORDER BY r.entity LIMIT 20`,
  );
  const latencies: number[] = [];
  const end = performance.now() + 3000;
  while (performance.now() < end) {
    const started = performance.now();
    for (const row of statement.all(WINDOW.minX, WINDOW.maxX, WINDOW.minY, WINDOW.maxY) as Array<{
      doc: string;
    }>)
      JSON.parse(row.doc);
    latencies.push(performance.now() - started);
  }
  database.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) };
}

async function notificationLatency(base: string): Promise<{
  p50: number;
  p95: number;
  sent: number;
  received: number;
  writeP95: number;
  achievedRate: number;
}> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const receiver = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      const now = performance.now();
      const body = JSON.parse(text) as { data: Array<{ id: string; no2: { value: number } }> };
      for (const entity of body.data) {
        const key = `${entity.id}#${entity.no2.value}`;
        const start = sentAt.get(key);
        if (start !== undefined) {
          latencies.push(now - start);
          sentAt.delete(key);
        }
      }
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const created = await fetch(`${base}/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'Subscription',
      entities: [{ type: 'AirQualityObserved' }],
      watchedAttributes: ['no2'],
      notification: {
        attributes: ['no2'],
        format: 'normalized',
        endpoint: { uri: `http://127.0.0.1:${port}/notify` },
      },
    }),
  });
  if (created.status !== 201) throw new Error(`subscription answered ${created.status}`);
  const total = UPDATE_RATE * UPDATE_SECONDS;
  const writeLatencies: number[] = [];
  const pending = new Set<Promise<void>>();
  let failed = 0;
  const started = performance.now();
  for (let index = 0; index < total; index++) {
    // Pace to UPDATE_RATE: wait until this update's slot.
    const due = started + (index * 1000) / UPDATE_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // A server that falls behind gets at most 64 updates in flight; the achieved rate is printed.
    while (pending.size >= 64) await Promise.race(pending);
    const id = `urn:ngsi-ld:AirQualityObserved:bench-${index % ENTITY_COUNT}`;
    const value = 1000 + index;
    const sent = performance.now();
    sentAt.set(`${id}#${value}`, sent);
    const update: Promise<void> = fetch(`${base}/entities/${encodeURIComponent(id)}/attrs`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ no2: { type: 'Property', value, unitCode: 'GQ' } }),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status === 204) writeLatencies.push(performance.now() - sent);
        else failed++;
      })
      .catch(() => {
        failed++;
      })
      .finally(() => pending.delete(update));
    pending.add(update);
  }
  await Promise.all(pending);
  const achievedRate = total / ((performance.now() - started) / 1000);
  const deadline = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  receiver.closeAllConnections();
  receiver.close();
  latencies.sort((a, b) => a - b);
  writeLatencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    sent: total - failed,
    received: latencies.length,
    writeP95: percentile(writeLatencies, 0.95),
    achievedRate,
  };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(path.join(tmpdir(), 'plaza-bench-broker-'));
  const { child, url } = await startPlaza(directory);
  const base = `${url}/ngsi-ld/v1`;
  try {
    console.log(
      `load average at start: ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')} on ${cpus().length} cores (figures scale with it)`,
    );
    console.log(
      `NGSI-LD broker benchmark: ${ENTITY_COUNT.toLocaleString('en')} entities, server in its own process (${url})`,
    );
    const rate = await ingest(base);
    console.log(
      `ingest (batch upsert, ${BATCH}/request): ${Math.round(rate).toLocaleString('en')} entities/s`,
    );
    const geo = await geoQuery(base, undefined);
    console.log(
      `GET /entities?type&georel=within (window with ${geo.matches} matches, default limit 20), 10 clients, ${GEO_SECONDS} s: ` +
        `${geo.total} requests, ${geo.errors} errors, p50 ${format(geo.p50)}, p95 ${format(geo.p95)}`,
    );
    const geo100 = await geoQuery(base, 100);
    console.log(
      `GET /entities?type&georel=within (same window, limit=100), 10 clients, ${GEO_SECONDS} s: ` +
        `${geo100.total} requests, ${geo100.errors} errors, p50 ${format(geo100.p50)}, p95 ${format(geo100.p95)}`,
    );
    const floor = floorQuery(path.join(directory, 'ngsi-ld', 'default.sqlite'));
    console.log(
      `floor: plain SQLite R*Tree query of the same window in-process, 1 client: p50 ${format(floor.p50)}, p95 ${format(floor.p95)}`,
    );
    console.log(
      `ratio: geo query p50 / target ${TARGET_P50_MS} ms = ${(geo.p50 / TARGET_P50_MS).toFixed(2)} (below 1 meets the target)`,
    );
    console.log(`ratio: geo query p50 / R*Tree floor p50 = ${(geo.p50 / floor.p50).toFixed(1)}`);
    const notifications = await notificationLatency(base);
    console.log(
      `update -> notification at ${UPDATE_RATE}/s for ${UPDATE_SECONDS} s (achieved ${Math.round(notifications.achievedRate)}/s): ` +
        `${notifications.received}/${notifications.sent} delivered, ` +
        `p50 ${format(notifications.p50)}, p95 ${format(notifications.p95)} (write p95 ${format(notifications.writeP95)})`,
    );
    console.log(
      'peer: none runnable here (Orion-LD needs MongoDB; Scorpio and Stellio need a JVM build with Postgres/Kafka; no network)',
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
