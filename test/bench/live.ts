// Benchmark of the NGSI-LD bridge, in two halves. Live relay: an update written to the broker -> the event received by
// an SSE client, p50/p95/p99 at 100 and 1,000 updates/s with 50 clients (target: p95 < 250 ms at 1,000 updates/s).
// Bridge overhead: the same query through OGC `/collections/<type>/items` (the NGSI-LD provider) and straight to the
// broker's `/ngsi-ld/v1/entities` (GeoJSON), with the same number of concurrent clients: req/s, p50/p95 and the ratio
// (target <= 1.3x), twice: in front of an external broker (a second Plaza whose NGSI_LD_URL is the first one's broker:
// the provider reads over HTTP) and over the embedded broker (the provider reads its store in process). Plaza
// (embedded broker + relay + OGC) runs in its own process; the writer and the clients run here. Bounded: about 75 s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SseClient, upsertEntities } from '../server/live/helpers';

const CLIENTS = 50;
const ENTITIES = 1000;
const RATES = [100, 1000];
const SECONDS = 8;
const TICK_MS = 20;
const TYPE = 'BenchSensor';

const idOf = (index: number) => `urn:ngsi-ld:${TYPE}:${index}`;

function entity(index: number, sequence: number): Record<string, unknown> {
  return {
    id: idOf(index),
    type: TYPE,
    sequence: { type: 'Property', value: sequence },
    sentAt: { type: 'Property', value: Date.now() },
    location: {
      type: 'GeoProperty',
      value: {
        type: 'Point',
        coordinates: [8.6 + (index % 40) * 0.002, 49.85 + Math.floor(index / 40) * 0.002],
      },
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds a process has used (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** Bridge half: entities of a second type on a 50 x 40 grid, concurrent clients, seconds per case. */
const PLACE_TYPE = 'BenchPlace';
const PLACES = 2000;
const BRIDGE_CLIENTS = 8;
const BRIDGE_SECONDS = 5;
/** A box holding 10 x 20 = 200 places, so that `limit=100` fills the page. */
const BRIDGE_BOX: [number, number, number, number] = [
  8.6 - 0.0005,
  49.85 - 0.0005,
  8.6 + 0.0095,
  49.85 + 0.0195,
];

function place(index: number): Record<string, unknown> {
  return {
    id: `urn:ngsi-ld:${PLACE_TYPE}:${index}`,
    type: PLACE_TYPE,
    name: { type: 'Property', value: `place ${index}` },
    height: { type: 'Property', value: 3 + (index % 17) },
    location: {
      type: 'GeoProperty',
      value: {
        type: 'Point',
        coordinates: [8.6 + (index % 50) * 0.001, 49.85 + Math.floor(index / 50) * 0.001],
      },
    },
  };
}

/** One request sequence (a single page, or a page-through) and how many features it must return. */
interface BridgeCase {
  name: string;
  /** Runs the sequence once; returns the features read. */
  run(): Promise<number>;
  expected: number;
}

async function readJson(
  url: string,
  accept: string,
): Promise<{ body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { headers: { accept } });
  if (!response.ok)
    throw new Error(`${url}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return { body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** Runs a case from BRIDGE_CLIENTS concurrent loops for BRIDGE_SECONDS: sequences/s and latency percentiles. */
async function measureCase(bridgeCase: BridgeCase): Promise<{ rate: number; p50: number; p95: number }> {
  // Warm-up: caches, JIT, the provider's description.
  for (let index = 0; index < 3; index++) {
    const count = await bridgeCase.run();
    if (count !== bridgeCase.expected)
      throw new Error(`${bridgeCase.name}: ${count} features instead of ${bridgeCase.expected}`);
  }
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + BRIDGE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: BRIDGE_CLIENTS }, async () => {
      while (performance.now() < until) {
        const begin = performance.now();
        await bridgeCase.run();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return { rate: sorted.length / elapsed, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

async function writePlaces(broker: string): Promise<void> {
  for (let start = 0; start < PLACES; start += 500)
    await upsertEntities(
      broker,
      Array.from({ length: Math.min(500, PLACES - start) }, (_, offset) => place(start + offset)),
    );
}

async function measureBridge(url: string, broker: string, setting: string): Promise<void> {
  // The OGC module lists broker types at most once a second on request.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${url}/collections/${PLACE_TYPE}`);
    await response.body?.cancel();
    if (response.ok) break;
    if (attempt > 20) throw new Error(`no OGC collection ${PLACE_TYPE}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
  const [west, south, east, north] = BRIDGE_BOX;
  const polygon = JSON.stringify([
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ]);
  const brokerQuery = (limit: number, offset: number) =>
    `${broker}/entities?${new URLSearchParams({
      type: PLACE_TYPE,
      format: 'keyValues',
      limit: String(limit),
      offset: String(offset),
      count: 'true',
    })}`;
  const ogcItems = `${url}/collections/${PLACE_TYPE}/items`;
  const pairs: Array<[BridgeCase, BridgeCase]> = [
    [
      {
        name: 'OGC items, bbox, limit 100',
        expected: 100,
        run: async () =>
          (
            (await readJson(`${ogcItems}?bbox=${BRIDGE_BOX.join(',')}&limit=100`, 'application/geo+json'))
              .body.features as unknown[]
          ).length,
      },
      {
        name: 'broker entities, georel intersects, limit 100',
        expected: 100,
        run: async () =>
          (
            (
              await readJson(
                `${brokerQuery(100, 0)}&georel=intersects&geometry=Polygon&geoproperty=location&coordinates=${encodeURIComponent(polygon)}`,
                'application/geo+json',
              )
            ).body.features as unknown[]
          ).length,
      },
    ],
    [
      {
        name: 'OGC items, 1000 in pages of 100 (next links)',
        expected: 1000,
        run: async () => {
          let read = 0;
          let next: string | undefined = `${ogcItems}?limit=100`;
          while (next && read < 1000) {
            const { body } = await readJson(next, 'application/geo+json');
            read += (body.features as unknown[]).length;
            next = (body.links as Array<{ rel: string; href: string }>).find(
              (link) => link.rel === 'next',
            )?.href;
          }
          return read;
        },
      },
      {
        name: 'broker entities, 1000 in pages of 100 (offset)',
        expected: 1000,
        run: async () => {
          let read = 0;
          for (let offset = 0; offset < 1000; offset += 100)
            read += (
              (await readJson(brokerQuery(100, offset), 'application/geo+json')).body.features as unknown[]
            ).length;
          return read;
        },
      },
    ],
  ];
  console.log(
    `\nbridge overhead, ${setting}: ${PLACES} entities of ${PLACE_TYPE}, ${BRIDGE_CLIENTS} concurrent clients, ${BRIDGE_SECONDS} s per case`,
  );
  console.log('target: OGC via the NGSI-LD provider <= 1.3x the same query straight to the broker');
  for (const [ogc, direct] of pairs) {
    const through = await measureCase(ogc);
    const straight = await measureCase(direct);
    const line = (name: string, result: { rate: number; p50: number; p95: number }) =>
      `  ${name.padEnd(48)} ${result.rate.toFixed(1).padStart(7)} req/s  p50 ${result.p50.toFixed(1).padStart(6)} ms  p95 ${result.p95.toFixed(1).padStart(6)} ms`;
    console.log(line(ogc.name, through));
    console.log(line(direct.name, straight));
    const ratio = straight.rate / through.rate;
    console.log(
      `  ratio (broker req/s / OGC req/s) ${ratio.toFixed(2)}x, p50 ${(through.p50 / straight.p50).toFixed(2)}x, ` +
        `p95 ${(through.p95 / straight.p95).toFixed(2)}x (${ratio <= 1.3 ? 'meets' : 'misses'} the 1.3x target)`,
    );
  }
}

/** Live half: update -> SSE event latency at each rate. */
async function measureRelay(url: string, serverPid: number, clients: SseClient[]): Promise<void> {
  const broker = `${url}/ngsi-ld/v1`;
  let sequence = 0;
  for (let start = 0; start < ENTITIES; start += 500) {
    await upsertEntities(
      broker,
      Array.from({ length: Math.min(500, ENTITIES - start) }, (_, offset) =>
        entity(start + offset, sequence++),
      ),
    );
  }
  let latencies: number[] = [];
  let recording = false;
  for (let index = 0; index < CLIENTS; index++) {
    const client = new SseClient(`${url}/live?types=${TYPE}`);
    client.onEvent = (event) => {
      if (!recording || event.event !== 'update') return;
      const now = Date.now();
      for (const item of (event.data as { entities: Array<{ values: { sentAt?: number } }> }).entities)
        if (typeof item.values.sentAt === 'number') latencies.push(now - item.values.sentAt);
    };
    clients.push(client);
    await client.connect();
  }
  await Promise.all(clients.map((client) => client.waitFor(() => client.state.size === ENTITIES, 20_000)));

  console.log(`live relay benchmark: ${CLIENTS} SSE clients, ${ENTITIES} entities, ${SECONDS} s per rate`);
  console.log('target: p95 < 250 ms at 1000 updates/s');
  const results: Array<{ rate: number; p95: number }> = [];
  for (const rate of RATES) {
    latencies = [];
    recording = true;
    const total = rate * SECONDS;
    const started = Date.now();
    const serverCpuBefore = cpuSeconds(serverPid);
    const benchCpuBefore = cpuSeconds(process.pid);
    let written = 0;
    let next = 0;
    while (written < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
      const batch: unknown[] = [];
      for (; written < due; written++) batch.push(entity(next++ % ENTITIES, sequence++));
      if (batch.length) await upsertEntities(broker, batch);
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    const elapsed = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    recording = false;
    const serverCpu = cpuSeconds(serverPid) - serverCpuBefore;
    const benchCpu = cpuSeconds(process.pid) - benchCpuBefore;
    const sorted = [...latencies].sort((a, b) => a - b);
    const expected = total * CLIENTS;
    const p95 = percentile(sorted, 0.95);
    results.push({ rate, p95 });
    console.log(
      `${String(rate).padStart(5)} updates/s (achieved ${Math.round(total / elapsed)}/s): ` +
        `p50 ${percentile(sorted, 0.5)} ms, p95 ${p95} ms, p99 ${percentile(sorted, 0.99)} ms, ` +
        `max ${sorted.at(-1)} ms; ${sorted.length}/${expected} deliveries (${((100 * sorted.length) / expected).toFixed(1)} %; ` +
        'the rest coalesced into a later event of the same entity)',
    );
    console.log(
      `      CPU: Plaza ${serverCpu.toFixed(1)} s, writer + ${CLIENTS} clients ${benchCpu.toFixed(1)} s over ${(elapsed + 1.5).toFixed(1)} s; ` +
        `machine load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    );
  }
  const atTarget = results.find((result) => result.rate === 1000);
  if (atTarget)
    console.log(
      `p95 at 1000 updates/s: ${atTarget.p95} ms vs target 250 ms -> ratio ${(atTarget.p95 / 250).toFixed(2)} (${atTarget.p95 < 250 ? 'meets' : 'misses'} the target)`,
    );
  console.log(
    `machine load average (1, 5, 15 min): ${loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')}`,
  );
  for (const client of clients) client.close();
  clients.length = 0;
}

interface BenchServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts Plaza in its own process on a free port and a temporary data folder, and waits for it to answer. */
async function startServer(environment: Record<string, string> = {}): Promise<BenchServer> {
  const folder = mkdtempSync(join(tmpdir(), 'plaza-bench-live-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: folder,
      TILESETS_DIR: join(folder, 'tilesets'),
      APP_DIR: join(folder, 'app'),
      PLAZA_SIMULATOR: 'off',
      LOG_LEVEL: 'error',
      ...environment,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    rmSync(folder, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${url}/health`);
      return { url, pid: server.pid!, stop };
    } catch {
      if (attempt > 120) {
        await stop();
        throw new Error('Plaza did not start within 60 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function main(): Promise<void> {
  const only = process.argv.find((argument) => argument.startsWith('--only='))?.slice('--only='.length);
  const servers: BenchServer[] = [];
  const clients: SseClient[] = [];
  try {
    const plaza = await startServer();
    servers.push(plaza);
    if (only !== 'bridge') await measureRelay(plaza.url, plaza.pid, clients);
    for (const client of clients) client.close();
    if (only !== 'live') {
      await writePlaces(`${plaza.url}/ngsi-ld/v1`);
      // As deployed in front of an external broker: a second Plaza whose NGSI_LD_URL is the first one's broker.
      const bridge = await startServer({ NGSI_LD_URL: `${plaza.url}/ngsi-ld/v1` });
      servers.push(bridge);
      await measureBridge(
        bridge.url,
        `${plaza.url}/ngsi-ld/v1`,
        'external broker: bridge and broker in two processes, the provider reads over HTTP',
      );
      await measureBridge(
        plaza.url,
        `${plaza.url}/ngsi-ld/v1`,
        'embedded broker: bridge and broker share one process, the provider reads the store in process',
      );
      console.log(
        `machine load average (1, 5, 15 min): ${loadavg()
          .map((value) => value.toFixed(2))
          .join(', ')}`,
      );
    }
  } finally {
    for (const client of clients) client.close();
    for (const server of servers.reverse()) await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
