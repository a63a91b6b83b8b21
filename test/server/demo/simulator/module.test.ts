// The simulator as a Plaza module: health, an external broker (a real HTTP receiver), and the embedded broker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../server/config';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import { createSimulatedSensors, createSimulatorModule } from '../../../../server/demo/simulator';
import { createApp } from '../../../../server/http/app';
import type { PlazaModule } from '../../../../server/http/module';
import { selectModules } from '../../../../server/modules';
import { createNgsiLdBrokerModule } from '../../../../server/ngsi-ld';
import { startReceiver, waitFor, type Receiver } from './receiver';

const district = createDemoDistrict({ buildingCount: 60 });

async function startPlazaWith(config: ReturnType<typeof parseConfig>, modules: PlazaModule[]) {
  const app = await createApp(config, { modules, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const module of modules) await module.start?.(url);
  return { app, url };
}

describe('createSimulatorModule with an external broker', () => {
  let broker: Receiver;
  let plaza: Awaited<ReturnType<typeof startPlazaWith>>;
  const dataDirectory = mkdtempSync(join(tmpdir(), 'plaza-simulator-'));

  beforeAll(async () => {
    broker = await startReceiver();
    const config = parseConfig({
      PORT: '0',
      DATA_DIR: dataDirectory,
      NGSI_LD_URL: broker.url,
      NGSI_LD_TENANT: 'darmstadt',
      NGSI_LD_TOKEN: 't0ken',
      PLAZA_SIMULATOR_RATE: '20',
    });
    plaza = await startPlazaWith(config, [createSimulatorModule(config, { district })]);
  });

  let closed = false;

  afterAll(async () => {
    if (!closed) await plaza.app.close();
    await broker.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('writes to NGSI_LD_URL with its tenant and token', async () => {
    await waitFor(() => broker.requests.some((request) => request.path.endsWith('/entityOperations/update')));
    expect(broker.requests[0]!.path).toBe('/ngsi-ld/v1/entityOperations/upsert');
    expect(broker.requests[0]!.headers['ngsild-tenant']).toBe('darmstadt');
    expect(broker.requests[0]!.headers['authorization']).toBe('Bearer t0ken');
  });

  it('reports its rate and target on /health', async () => {
    const response = await fetch(`${plaza.url}/health`);
    const health = (await response.json()) as { subsystems: Record<string, Record<string, unknown>> };
    expect(health.subsystems['simulator']).toMatchObject({
      status: 'ok',
      state: 'running',
      rate: 20,
      broker: broker.url,
      sensors: createSimulatedSensors(district).length,
    });
  });

  it('reports degraded with the last error while the broker fails', async () => {
    broker.respond = () => ({
      status: 503,
      body: { type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError', detail: 'maintenance' },
    });
    await waitFor(() => broker.requests.at(-1)!.path.endsWith('/update') && broker.requests.length > 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = (await (await fetch(`${plaza.url}/health`)).json()) as {
      subsystems: Record<string, Record<string, unknown>>;
    };
    expect(health.subsystems['simulator']!['status']).toBe('degraded');
    expect(String(health.subsystems['simulator']!['detail'])).toMatch(/503 InternalError: maintenance/);
    broker.respond = (request) => ({ status: request.path.includes('upsert') ? 201 : 204 });
  });

  it('stops writing when Plaza closes', async () => {
    await plaza.app.close();
    closed = true;
    const count = broker.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(broker.requests.length).toBe(count);
  });
});

describe('createSimulatorModule with the embedded broker', () => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'plaza-simulator-broker-'));
  const config = parseConfig({ PORT: '0', DATA_DIR: dataDirectory, PLAZA_SIMULATOR_RATE: '200' });
  const sensors = createSimulatedSensors(district);
  // A clock ten simulated minutes ahead at every read: each batch observes a new moment.
  let reads = 0;
  const clock = () => new Date(Date.parse('2026-03-10T06:00:00Z') + reads++ * 600_000);
  let plaza: Awaited<ReturnType<typeof startPlazaWith>>;

  beforeAll(async () => {
    plaza = await startPlazaWith(config, [
      createNgsiLdBrokerModule(config),
      createSimulatorModule(config, { district, clock }),
    ]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const health = (await (await fetch(`${plaza.url}/health`)).json()) as {
        subsystems: Record<string, Record<string, unknown>>;
      };
      if ((health.subsystems['simulator']!['updatesSent'] as number) > 300) break;
      if (Date.now() > deadline)
        throw new Error(`simulator did not get going: ${JSON.stringify(health.subsystems['simulator'])}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    await plaza.app.close();
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  async function query(path: string): Promise<{ status: number; count: string | null; body: unknown }> {
    const response = await fetch(`${plaza.url}/ngsi-ld/v1${path}`);
    return {
      status: response.status,
      count: response.headers.get('ngsild-results-count'),
      body: await response.json(),
    };
  }

  it('makes every simulated entity type queryable', async () => {
    const { body } = await query('/types');
    expect((body as { typeList: string[] }).typeList).toEqual(
      expect.arrayContaining([
        'AirQualityObserved',
        'Device',
        'NoiseLevelObserved',
        'OffStreetParking',
        'ParkingSpot',
        'StreetLight',
        'TrafficFlowObserved',
        'WeatherObserved',
      ]),
    );
    for (const type of ['AirQualityObserved', 'TrafficFlowObserved', 'Device', 'StreetLight']) {
      const { status, count } = await query(`/entities?type=${type}&count=true&limit=0`);
      expect(status).toBe(200);
      expect(Number(count)).toBe(sensors.filter((sensor) => sensor.type === type).length);
    }
  });

  it('stores the relationships to the device and to the building', async () => {
    const sensor = sensors.find((candidate) => candidate.type === 'AirQualityObserved')!;
    const { status, body } = await query(`/entities/${encodeURIComponent(sensor.id)}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: sensor.id,
      type: 'AirQualityObserved',
      refDevice: { type: 'Relationship', object: sensor.refDevice },
      refBuilding: { type: 'Relationship', object: sensor.refBuilding },
      no2: { type: 'Property', unitCode: 'GQ' },
    });
  });

  it('finds a sensor by a geo-query near its position', async () => {
    const sensor = sensors.find((candidate) => candidate.type === 'NoiseLevelObserved')!;
    const coordinates = encodeURIComponent(JSON.stringify(sensor.position));
    const { status, body } = await query(
      `/entities?type=NoiseLevelObserved&georel=${encodeURIComponent('near;maxDistance==5')}&geometry=Point&coordinates=${coordinates}`,
    );
    expect(status).toBe(200);
    expect((body as Array<{ id: string }>).map((entity) => entity.id)).toContain(sensor.id);
  });

  it('moves observations forward in time after seeding', async () => {
    const { body } = await query('/entities?type=TrafficFlowObserved&limit=100');
    const times = (body as Array<{ intensity: { observedAt: string } }>).map((entity) =>
      Date.parse(entity.intensity.observedAt),
    );
    // Seeding observed 06:00; later batches observe later moments of the advancing clock.
    expect(Math.max(...times)).toBeGreaterThan(Date.parse('2026-03-10T06:00:00Z'));
  });
});

describe('selectModules', () => {
  it('mounts the simulator when PLAZA_SIMULATOR is on and not when it is off', async () => {
    const on = await selectModules(
      parseConfig({ PLAZA_SIMULATOR: 'on', NGSI_LD_URL: 'http://broker.example/ngsi-ld/v1' }),
    );
    const off = await selectModules(
      parseConfig({ PLAZA_SIMULATOR: 'off', NGSI_LD_URL: 'http://broker.example/ngsi-ld/v1' }),
    );
    expect(on.map((module) => module.name)).toContain('simulator');
    expect(off.map((module) => module.name)).not.toContain('simulator');
  });
});
