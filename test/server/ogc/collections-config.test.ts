// The collections config schema and `npm run config:check`: valid files in JSON and YAML, every problem reported
// with its path, relative paths resolved against the file's folder.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CollectionsConfigError,
  loadCollectionsConfig,
  parseCollectionsConfig,
} from '../../../server/ogc/collections-config';

const run = promisify(execFile);

describe('collections config', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'plaza-collections-config-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('fills defaults and resolves file paths against the config folder', () => {
    const config = parseCollectionsConfig(
      {
        collections: [
          { id: 'trees', title: 'Trees', provider: { type: 'geojson', path: 'data/trees.geojson' } },
        ],
      },
      '/srv/plaza',
    );
    expect(config.demoLayers).toBe(true);
    expect(config.tilesets).toBe(true);
    expect(config.collections[0].visibility).toBe('public');
    expect(config.collections[0].provider).toEqual({
      type: 'geojson',
      path: '/srv/plaza/data/trees.geojson',
    });
  });

  it('reports every problem with its path: bad id, empty title, unknown provider, unknown key, bad colour', () => {
    let message = '';
    try {
      parseCollectionsConfig(
        {
          collections: [
            { id: 'a b', title: '', provider: { type: 'shapefile', path: 'x' } },
            { id: 'dup', title: 'One', provider: { type: 'geojson', path: 'x' }, colour: 'red' },
            {
              id: 'dup',
              title: 'Two',
              provider: { type: 'geojson', path: 'x' },
              style: { fillColor: 'red' },
            },
          ],
        },
        '/',
      );
    } catch (error) {
      expect(error).toBeInstanceOf(CollectionsConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain('collections.0.id');
    expect(message).toContain('collections.0.title');
    expect(message).toContain('collections.0.provider.type');
    expect(message).toContain('colour');
    expect(message).toContain('collections.2.style.fillColor');
  });

  it('reports duplicate collection ids', () => {
    const collection = { id: 'dup', title: 'One', provider: { type: 'geojson', path: 'x' } };
    expect(() => parseCollectionsConfig({ collections: [collection, collection] }, '/')).toThrow(
      /collections\.1\.id: duplicate collection id 'dup'/,
    );
  });

  it('reads YAML files', () => {
    const path = join(directory, 'collections.yaml');
    writeFileSync(
      path,
      'demoLayers: false\ncollections:\n  - id: parcels\n    title: Parcels\n    visibility: internal\n    provider:\n      type: postgis\n      connectionString: postgres://localhost/city\n      table: cadastre.parcels\n',
    );
    const config = loadCollectionsConfig(path);
    expect(config.demoLayers).toBe(false);
    expect(config.collections[0]).toMatchObject({
      id: 'parcels',
      visibility: 'internal',
      provider: { type: 'postgis', table: 'cadastre.parcels', geometryColumn: 'geom', idColumn: 'id' },
    });
  });

  it('makes npm run config:check exit 0 on a valid file and 1 naming the problem on an invalid one', async () => {
    const valid = join(directory, 'valid.json');
    writeFileSync(
      valid,
      JSON.stringify({
        collections: [{ id: 'x', title: 'X', provider: { type: 'geojson', path: 'x.geojson' } }],
      }),
    );
    const ok = await run('npx', ['tsx', 'server/ogc/config-check.ts', valid]);
    expect(ok.stdout).toContain('valid; 1 configured collection(s)');
    expect(ok.stdout).toContain('does not exist yet');
    const invalid = join(directory, 'invalid.json');
    writeFileSync(invalid, '{"collections": [{"id": "x"}]}');
    const failure = await run('npx', ['tsx', 'server/ogc/config-check.ts', invalid]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('collections.0.title');
  });
});
