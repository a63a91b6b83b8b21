import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../helpers';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

/** Starts Plaza (server/main.ts, as npm start does) as a child process; resolves with its URL once it listens. */
function startPlazaProcess(
  dataDirectory: string,
): Promise<{ child: ChildProcess; url: string; exited: Promise<NodeJS.Signals | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PLAZA_SIMULATOR: 'off',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDirectory,
        APP_DIR: join(dataDirectory, 'no-app'),
        TILESETS_DIR: join(dataDirectory, 'no-tilesets'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('exit', (_code, signal) => done(signal)),
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Plaza did not start: ${stderr}`));
    }, 45_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Plaza is serving at (http:\/\/\S+?)"/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1].replace('localhost', '127.0.0.1'), exited });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
  });
}

describe('broker persistence', () => {
  const directory = mkdtempSync(join(tmpdir(), 'plaza-persist-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps every acknowledged write across kill -9 and a restart', async () => {
    const first = await startPlazaProcess(directory);
    const base = `${first.url}/ngsi-ld/v1`;
    const tenant = { 'ngsild-tenant': 'durable' };
    expect(
      (
        await request(`${base}/entities`, {
          method: 'POST',
          body: { id: 'urn:ngsi-ld:Box:1', type: 'Box', weight: { type: 'Property', value: 1 } },
        })
      ).status,
    ).toBe(201);
    const batch = Array.from({ length: 200 }, (_, index) => ({
      id: `urn:ngsi-ld:Box:b${index}`,
      type: 'Box',
      weight: { type: 'Property', value: index },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [index / 100, 45] } },
    }));
    expect(
      (await request(`${base}/entityOperations/upsert`, { method: 'POST', headers: tenant, body: batch }))
        .status,
    ).toBe(201);
    expect(
      (
        await request(`${base}/subscriptions`, {
          method: 'POST',
          body: {
            id: 'urn:ngsi-ld:Subscription:durable',
            type: 'Subscription',
            entities: [{ type: 'Box' }],
            notification: { endpoint: { uri: 'http://127.0.0.1:9/n' } },
          },
        })
      ).status,
    ).toBe(201);
    // The last acknowledged write comes immediately before the kill.
    expect(
      (
        await request(`${base}/entities/urn:ngsi-ld:Box:1/attrs`, {
          method: 'PATCH',
          body: { weight: { type: 'Property', value: 2 } },
        })
      ).status,
    ).toBe(204);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const second = await startPlazaProcess(directory);
    try {
      const again = `${second.url}/ngsi-ld/v1`;
      expect((await request(`${again}/entities/urn:ngsi-ld:Box:1?format=keyValues`)).body).toEqual({
        id: 'urn:ngsi-ld:Box:1',
        type: 'Box',
        weight: 2,
      });
      const count = await request(`${again}/entities?type=Box&count=true&limit=0`, { headers: tenant });
      expect(count.headers.get('ngsild-results-count')).toBe('200');
      // The R*Tree came back too: 0.995..1.995 degrees holds boxes 100..199.
      const inBox = await request(
        `${again}/entities?type=Box&limit=0&count=true&georel=within&geometry=Polygon&coordinates=${encodeURIComponent('[[[0.995,44],[1.995,44],[1.995,46],[0.995,46],[0.995,44]]]')}`,
        { headers: tenant },
      );
      expect(inBox.headers.get('ngsild-results-count')).toBe('100');
      const subscription = await request(`${again}/subscriptions/urn:ngsi-ld:Subscription:durable`);
      expect(subscription.status).toBe(200);
      expect(subscription.body.entities).toEqual([{ type: 'Box' }]);
      const history = await request(
        `${again}/temporal/entities/urn:ngsi-ld:Box:1?options=temporalValues&lastN=5`,
      );
      expect(history.body.weight.values.map((pair: unknown[]) => pair[0])).toEqual([1, 2]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
