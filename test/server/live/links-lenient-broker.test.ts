// Links from brokers more lenient than the embedded one: a Relationship whose object is the plain building id, and
// Orion-LD's non-standard array of objects.
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { NgsiLdClient } from '../../../server/ngsi-ld/client';
import { LinkService } from '../../../server/live/links';
import { removeFolder } from './helpers';

// The demo district numbers its buildings bldg-000001, bldg-000002, ...
const FIRST = 'bldg-000001';
const SECOND = 'bldg-000002';
const DEVICE = {
  id: 'urn:ngsi-ld:Device:lenient-1',
  type: 'Device',
  controlledAsset: { type: 'Relationship', object: FIRST },
  servesBuildings: { type: 'Relationship', object: [`urn:ngsi-ld:Building:${SECOND}`, 'urn:ngsi-ld:Road:9'] },
  refOwner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:4' },
};

describe('links with a lenient broker', () => {
  let fake: http.Server;
  let folder: string;
  let links: LinkService;

  beforeAll(async () => {
    fake = http.createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (path === '/ngsi-ld/v1/types') return send(200, { type: 'EntityTypeList', typeList: ['Device'] });
      if (path === '/ngsi-ld/v1/entities') return send(200, [DEVICE]);
      if (path === `/ngsi-ld/v1/entities/${encodeURIComponent(DEVICE.id)}`) return send(200, DEVICE);
      return send(404, { type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', title: 'not found' });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const brokerUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/ngsi-ld/v1`;
    folder = mkdtempSync(join(tmpdir(), 'plaza-links-lenient-'));
    const config = parseConfig({
      DATA_DIR: folder,
      TILESETS_DIR: join(folder, 'tilesets'),
      NGSI_LD_URL: brokerUrl,
    });
    links = new LinkService(config, new NgsiLdClient({ url: brokerUrl }));
  }, 30_000);

  afterAll(async () => {
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
    if (folder) removeFolder(folder);
  });

  it('links an entity to the buildings named by plain id and in an array of objects', async () => {
    const answer = (await links.linksOfEntity(DEVICE.id))!;
    expect(answer.links.map(({ feature, reason, attribute }) => ({ feature, reason, attribute }))).toEqual([
      { feature: FIRST, reason: 'relationship', attribute: 'controlledAsset' },
      { feature: SECOND, reason: 'relationship', attribute: 'servesBuildings' },
    ]);
  });

  it('links a building back to the entity that names it by plain id', async () => {
    const answer = (await links.linksOfFeature(FIRST))!;
    expect(answer.feature).toMatchObject({ id: FIRST, inFootprints: true });
    expect(answer.links).toHaveLength(1);
    expect(answer.links[0]).toMatchObject({
      entity: DEVICE.id,
      entityType: 'Device',
      attribute: 'controlledAsset',
    });
    expect(await links.linksOfEntity('urn:ngsi-ld:Device:unknown')).toBeUndefined();
  });
});
