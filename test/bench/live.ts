// Benchmark of the live relay: an update written to the broker -> the event received by an SSE client, p50/p95/p99
// at 100 and 1,000 updates/s with 50 clients. Plaza (embedded broker + relay) runs in its own process; the writer
// and the clients run here. Bounded: about 30 s in all. Target: p95 < 250 ms at 1,000 updates/s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
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

async function main(): Promise<void> {
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
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const clients: SseClient[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${url}/health`);
        break;
      } catch {
        if (attempt > 120) throw new Error('Plaza did not start within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
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
      const serverCpuBefore = cpuSeconds(server.pid!);
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
      const serverCpu = cpuSeconds(server.pid!) - serverCpuBefore;
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
  } finally {
    for (const client of clients) client.close();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
