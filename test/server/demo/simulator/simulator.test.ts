// The simulation loop against a real HTTP receiver: seeding, rate, headers, lost entities, a dead or failing broker.
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import {
  createSimulatedSensors,
  createSupportingEntities,
  createUpdateSchedule,
  NgsiLdWriter,
  Simulator,
  type SimulatorOptions,
} from '../../../../server/demo/simulator';
import { normalizedEntityProblems } from './normalized-entity';
import { startReceiver, waitFor, type Receiver, type RecordedRequest } from './receiver';

const district = createDemoDistrict({ buildingCount: 60 });
const sensors = createSimulatedSensors(district);
const supporting = createSupportingEntities(district, sensors);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(port?: number): Promise<Receiver> {
  const started = await startReceiver(port);
  cleanups.push(() => started.close());
  return started;
}

function simulator(
  url: string,
  options: SimulatorOptions,
  writerOptions: { tenant?: string; token?: string; context?: string } = {},
) {
  const writer = new NgsiLdWriter({ url, timeoutMs: 2000, ...writerOptions });
  const running = new Simulator(sensors, supporting, writer, options);
  cleanups.push(() => running.stop());
  return running;
}

function recordingLogger() {
  const lines = { info: [] as string[], warn: [] as string[] };
  return {
    lines,
    logger: { info: (line: string) => lines.info.push(line), warn: (line: string) => lines.warn.push(line) },
  };
}

const updates = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.path.endsWith('/entityOperations/update'));

describe('Simulator', () => {
  it('seeds every entity with one upsert, then sends valid batch updates with tenant, token and Link header', async () => {
    const broker = await receiver();
    const running = simulator(
      broker.url,
      { rate: 40 },
      { tenant: 'city', token: 'secret', context: 'https://example.org/ctx.jsonld' },
    );
    running.start();
    await waitFor(() => updates(broker.requests).length >= 3);
    await running.stop();

    const [seed] = broker.requests;
    expect(seed!.method).toBe('POST');
    expect(seed!.path).toBe('/ngsi-ld/v1/entityOperations/upsert');
    const seeded = seed!.body as Array<{ id: string }>;
    expect(seeded.map((entity) => entity.id).sort()).toEqual(
      [...supporting, ...sensors].map((entity) => entity.id).sort(),
    );
    for (const entity of seeded) expect(normalizedEntityProblems(entity), entity.id).toEqual([]);

    for (const request of broker.requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['ngsild-tenant']).toBe('city');
      expect(request.headers['authorization']).toBe('Bearer secret');
      expect(request.headers['link']).toBe(
        '<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"',
      );
    }
    const ids = new Set(sensors.map((sensor) => sensor.id));
    for (const request of updates(broker.requests)) {
      const fragments = request.body as Array<{ id: string }>;
      expect(new Set(fragments.map((fragment) => fragment.id)).size).toBe(fragments.length);
      for (const fragment of fragments) {
        expect(ids.has(fragment.id)).toBe(true);
        expect(normalizedEntityProblems(fragment), fragment.id).toEqual([]);
      }
    }
  });

  it('sends no Link header without a configured context and no tenant or token headers when unset', async () => {
    const broker = await receiver();
    const running = simulator(broker.url, { rate: 40 });
    running.start();
    await waitFor(() => updates(broker.requests).length >= 1);
    for (const request of broker.requests) {
      expect(request.headers['link']).toBeUndefined();
      expect(request.headers['ngsild-tenant']).toBeUndefined();
      expect(request.headers['authorization']).toBeUndefined();
    }
  });

  it('sends about the configured number of updates per second', async () => {
    const broker = await receiver();
    const running = simulator(broker.url, { rate: 25 });
    running.start();
    await waitFor(() => updates(broker.requests).length >= 1);
    const before = running.status().updatesSent;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const sent = running.status().updatesSent - before;
    // 50 expected in 2 s; the credit cap makes more than 2 s of catch-up impossible, a busy machine may send fewer.
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(sent).toBeLessThanOrEqual(100);
    expect(running.status()).toMatchObject({ state: 'running', rate: 25, sensors: sensors.length });
  });

  it('backs off while the broker is down, logs once, and carries on when it comes back', async () => {
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const { lines, logger } = recordingLogger();
    const running = simulator(`http://127.0.0.1:${port}/ngsi-ld/v1`, {
      rate: 20,
      logger,
      initialBackoffMs: 20,
      maximumBackoffMs: 80,
    });
    running.start();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const status = running.status();
    expect(status.state).toBe('retrying');
    expect(status.lastError).toMatch(/ECONNREFUSED/);
    expect(lines.warn).toHaveLength(1);

    const broker = await receiver(port);
    await waitFor(() => updates(broker.requests).length >= 1);
    expect(broker.requests[0]!.path).toBe('/ngsi-ld/v1/entityOperations/upsert');
    expect(running.status().state).toBe('running');
    expect(lines.warn).toHaveLength(1);
    expect(lines.info.some((line) => line.includes('again'))).toBe(true);
  });

  it('retries when the broker answers with a server error and reports it', async () => {
    const broker = await receiver();
    broker.respond = () => ({
      status: 500,
      body: { type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError', title: 'disk full' },
    });
    const running = simulator(broker.url, { rate: 20, initialBackoffMs: 20, maximumBackoffMs: 40 });
    running.start();
    await waitFor(() => broker.requests.length >= 3);
    expect(running.status()).toMatchObject({ state: 'retrying' });
    expect(running.status().lastError).toMatch(/500 InternalError: disk full/);
    broker.respond = (request) => ({ status: request.path.includes('upsert') ? 201 : 204 });
    await waitFor(() => updates(broker.requests).length >= 1);
    expect(running.status().state).toBe('running');
  });

  it('creates again, in full, an entity the broker reports as not found', async () => {
    const broker = await receiver();
    let lostId: string | undefined;
    broker.respond = (request) => {
      if (request.path.endsWith('/update') && lostId === undefined) {
        const fragments = request.body as Array<{ id: string }>;
        lostId = fragments[0]!.id;
        return {
          status: 207,
          body: {
            success: fragments.slice(1).map((fragment) => fragment.id),
            errors: [
              {
                entityId: lostId,
                error: {
                  type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound',
                  title: 'Entity not found',
                },
              },
            ],
          },
        };
      }
      return { status: request.path.includes('upsert') ? 201 : 204 };
    };
    const running = simulator(broker.url, { rate: 20 });
    running.start();
    await waitFor(() => broker.requests.filter((request) => request.path.includes('upsert')).length >= 2);
    const recreate = broker.requests.filter((request) => request.path.includes('upsert'))[1]!;
    const entities = recreate.body as Array<Record<string, unknown>>;
    expect(entities.map((entity) => entity['id'])).toEqual([lostId]);
    expect(entities[0]).toHaveProperty('location');
    expect(normalizedEntityProblems(entities[0])).toEqual([]);
  });

  it('stops promptly while a request hangs', async () => {
    const broker = await receiver();
    broker.respond = () => 'hang';
    const running = simulator(broker.url, { rate: 20 });
    running.start();
    await waitFor(() => broker.requests.length >= 1);
    const started = Date.now();
    await running.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(running.status().state).toBe('stopped');
  });
});

describe('createUpdateSchedule', () => {
  it('updates observations every round, devices in 2 and street lights in 1 of 10 rounds', () => {
    const schedule = createUpdateSchedule(sensors);
    const occurrences = new Map<string, number>();
    for (const index of schedule)
      occurrences.set(sensors[index]!.id, (occurrences.get(sensors[index]!.id) ?? 0) + 1);
    for (const sensor of sensors) {
      const expected = sensor.type === 'Device' ? 2 : sensor.type === 'StreetLight' ? 1 : 10;
      expect(occurrences.get(sensor.id), sensor.id).toBe(expected);
    }
  });
});
