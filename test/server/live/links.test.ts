// /links both ways: Relationships to a building (URN or plain id) and Point locations inside its footprint, from the
// OGC buildings collection, or from a tileset id index's boxes when there is no such collection.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeFolder, sensorEntity, startTestPlaza, upsertEntities, type TestPlaza } from './helpers';

type Ring = Array<[number, number]>;

/** Ray casting, written here independently of server/geometry. */
function insideRing([x, y]: [number, number], ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

interface LinksAnswer {
  feature: { id: string; tileset?: unknown };
  entity: { id: string; type: string };
  footprints: string;
  links: Link[];
  detail: string;
}

interface Link {
  entity: string;
  feature: string;
  reason: string;
  attribute?: string;
  tileset?: unknown;
}

describe('links', () => {
  let plaza: TestPlaza;
  let relatedBuilding: string;
  let containingBuilding: string;
  let insidePoint: [number, number];
  const E1 = 'urn:ngsi-ld:AirQualityObserved:links-1';
  const E2 = 'urn:ngsi-ld:NoiseLevelObserved:links-2';
  const E3 = 'urn:ngsi-ld:Device:links-3';
  const FAR: [number, number] = [0.5, 0.5];

  const getLinks = async (query: string) => {
    const response = await fetch(`${plaza.url}/links${query}`);
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as LinksAnswer,
    };
  };

  beforeAll(async () => {
    plaza = await startTestPlaza();
    const response = await fetch(`${plaza.url}/collections/buildings/items?limit=50&f=json`);
    expect(response.status).toBe(200);
    const collection = (await response.json()) as {
      features: Array<{ properties: { id: string }; geometry: { type: string; coordinates: Ring[] } }>;
    };
    const polygons = collection.features.filter((feature) => feature.geometry.type === 'Polygon');
    relatedBuilding = polygons[0].properties.id;
    // A building whose vertex average lies inside its own footprint and inside no other listed building.
    for (const feature of polygons.slice(1)) {
      const ring = feature.geometry.coordinates[0].slice(0, -1);
      const point: [number, number] = [
        ring.reduce((sum, [x]) => sum + x, 0) / ring.length,
        ring.reduce((sum, [, y]) => sum + y, 0) / ring.length,
      ];
      if (!insideRing(point, feature.geometry.coordinates[0])) continue;
      containingBuilding = feature.properties.id;
      insidePoint = point;
      break;
    }
    expect(containingBuilding).toBeDefined();
    const broker = `${plaza.url}/ngsi-ld/v1`;
    await upsertEntities(broker, [
      sensorEntity(E1, 'AirQualityObserved', 1, FAR, {
        refBuilding: { type: 'Relationship', object: `urn:ngsi-ld:Building:${relatedBuilding}` },
      }),
      sensorEntity(E2, 'NoiseLevelObserved', 50, insidePoint),
      {
        id: E3,
        type: 'Device',
        controlledAsset: { type: 'Relationship', object: `urn:ngsi-ld:Building:${relatedBuilding}` },
      },
    ]);
  }, 30_000);

  afterAll(async () => {
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it('lists the entities related to a building through any Relationship', async () => {
    const { status, body } = await getLinks(`?feature=${relatedBuilding}`);
    expect(status).toBe(200);
    expect(body.feature).toMatchObject({
      id: relatedBuilding,
      urn: `urn:ngsi-ld:Building:${relatedBuilding}`,
      inFootprints: true,
    });
    expect(body.footprints).toContain("OGC collection 'buildings'");
    const links = (body.links as Link[]).map(({ entity, reason, attribute }) => ({
      entity,
      reason,
      attribute,
    }));
    expect(links).toContainEqual({ entity: E1, reason: 'relationship', attribute: 'refBuilding' });
    expect(links).toContainEqual({ entity: E3, reason: 'relationship', attribute: 'controlledAsset' });
    expect(links.some((link) => link.entity === E2)).toBe(false);
  });

  it('lists the entities located inside a building footprint', async () => {
    const { status, body } = await getLinks(`?feature=${encodeURIComponent(containingBuilding)}`);
    expect(status).toBe(200);
    expect((body.links as Link[]).map(({ entity, reason }) => ({ entity, reason }))).toEqual([
      { entity: E2, reason: 'location' },
    ]);
  });

  it('lists the buildings an entity is linked to, with the reason', async () => {
    const byRelationship = await getLinks(`?entity=${encodeURIComponent(E1)}`);
    expect(byRelationship.status).toBe(200);
    expect(byRelationship.body.entity).toEqual({ id: E1, type: 'AirQualityObserved' });
    expect(byRelationship.body.links).toHaveLength(1);
    expect(byRelationship.body.links[0]).toMatchObject({
      feature: relatedBuilding,
      featureUrn: `urn:ngsi-ld:Building:${relatedBuilding}`,
      reason: 'relationship',
      attribute: 'refBuilding',
    });
    const byLocation = await getLinks(`?entity=${encodeURIComponent(E2)}`);
    expect(byLocation.body.links).toHaveLength(1);
    expect(byLocation.body.links[0]).toMatchObject({ feature: containingBuilding, reason: 'location' });
  });

  it('answers 400 for missing, doubled or empty parameters and 404 for unknown ids', async () => {
    for (const query of [
      '',
      `?feature=${relatedBuilding}&entity=${E1}`,
      '?feature=',
      '?entity=%20',
      '?building=x',
    ]) {
      const { status, type, body } = await getLinks(query);
      expect(status, query).toBe(400);
      expect(type).toMatch(/^application\/problem\+json/);
      expect(body.detail).toMatch(/feature|entity|building/);
    }
    expect((await getLinks('?feature=no-such-building')).status).toBe(404);
    expect((await getLinks(`?entity=${encodeURIComponent('urn:ngsi-ld:Thing:none')}`)).status).toBe(404);
  });
});

describe('links without a buildings collection', () => {
  let plaza: TestPlaza;
  let folder: string;
  const ENTITY = 'urn:ngsi-ld:ParkingSpot:box-1';

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'plaza-links-'));
    const tileset = join(folder, 'tilesets', 'hand');
    mkdirSync(tileset, { recursive: true });
    const region = [8.6, 49.8, 8.61, 49.81, 100, 120];
    writeFileSync(
      join(tileset, 'ids.json'),
      JSON.stringify({
        version: 1,
        tileset: 'tileset.json',
        features: {
          'b-1': { tile: 'tiles/0-0-0.glb', feature: 3, type: 'Building', region },
          'b-1-part': { tile: 'tiles/0-0-0.glb', feature: 4, type: 'BuildingPart', region, parentId: 'b-1' },
        },
      }),
    );
    writeFileSync(join(folder, 'collections.json'), JSON.stringify({ demoLayers: false, tilesets: false }));
    plaza = await startTestPlaza({ PLAZA_COLLECTIONS: join(folder, 'collections.json') }, folder);
    await upsertEntities(`${plaza.url}/ngsi-ld/v1`, [
      sensorEntity(ENTITY, 'ParkingSpot', 1, [8.605, 49.805]),
    ]);
  }, 30_000);

  afterAll(async () => {
    await plaza?.stop();
    if (folder) removeFolder(folder);
  });

  it("links by the id index's bounding box and says so", async () => {
    const response = await fetch(`${plaza.url}/links?feature=b-1`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as LinksAnswer;
    expect(body.footprints).toContain('hand/ids.json');
    expect(body.footprints).toContain('bounding boxes');
    expect(body.feature.tileset).toEqual({ tileset: 'hand', tile: 'tiles/0-0-0.glb', feature: 3 });
    expect(body.links).toHaveLength(1);
    expect(body.links[0]).toMatchObject({ entity: ENTITY, reason: 'location' });
    // Parts are not buildings of their own.
    expect((await fetch(`${plaza.url}/links?feature=b-1-part`)).status).toBe(404);
  });
});
