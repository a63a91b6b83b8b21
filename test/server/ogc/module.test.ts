// The OGC module as `npm start` mounts it (startPlaza): the demo layers are its default public collections.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { startPlaza, type RunningPlaza } from '../../../server/start';

describe('ogc module', () => {
  let plaza: RunningPlaza;
  let directory: string;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'plaza-ogc-module-'));
    plaza = await startPlaza(
      parseConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: directory,
        TILESETS_DIR: join(directory, 'tilesets'),
        APP_DIR: join(directory, 'app'),
        PLAZA_SIMULATOR: 'off',
        LOG_LEVEL: 'silent',
      }),
      { logger: false },
    );
  });
  afterAll(async () => {
    await plaza?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('serves the demo layers as collections with style hints and viewer links', async () => {
    const response = await fetch(`${plaza.url}/ogc/collections`);
    const body = (await response.json()) as {
      collections: { id: string; 'plaza:viewer': string; 'plaza:style'?: unknown }[];
    };
    const ids = body.collections.map((collection) => collection.id);
    for (const id of ['districts', 'buildings', 'parks', 'trees', 'bike-lanes']) expect(ids).toContain(id);
    const buildings = body.collections.find((collection) => collection.id === 'buildings')!;
    expect(buildings['plaza:viewer']).toBe('/?layer=buildings');
    expect(buildings['plaza:style']).toMatchObject({ extrudeProperty: 'measured_height' });
  });

  it('serves building footprints with their attributes and numberMatched equal to the default district size', async () => {
    const response = await fetch(`${plaza.url}/ogc/collections/buildings/items?limit=1`);
    const body = (await response.json()) as {
      numberMatched: number;
      features: { geometry: { type: string }; properties: Record<string, unknown> }[];
    };
    expect(body.numberMatched).toBe(2400);
    expect(body.features[0].geometry.type).toBe('Polygon');
    expect(Object.keys(body.features[0].properties)).toEqual(
      expect.arrayContaining([
        'street',
        'house_number',
        'measured_height',
        'storeys',
        'roof_type',
        'year_of_construction',
      ]),
    );
  });

  it('reports itself in /health', async () => {
    const health = (await (await fetch(`${plaza.url}/health`)).json()) as {
      subsystems: Record<string, { status: string; landingPage?: string }>;
    };
    expect(health.subsystems.ogc).toMatchObject({ status: 'ok', landingPage: '/ogc' });
  });
});
