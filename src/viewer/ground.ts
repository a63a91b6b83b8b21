// Puts tilesets on the ground of Plaza's terrain-less globe: the lowest point of a tileset sits on the ellipsoid.
import { Cartesian3, Cartographic, Matrix4, type Cesium3DTileset } from 'cesium';

/**
 * Shifts a tileset along the local vertical so that `lowestHeight` lands on the WGS84 ellipsoid. Plaza's globe has
 * no terrain (ellipsoid only, for offline use), so a city model with orthometric heights of, say, 140 m would
 * otherwise float 140 m above the globe's surface. Relative heights inside the model are untouched.
 */
export function placeOnEllipsoid(tileset: Cesium3DTileset, lowestHeight: number): void {
  if (!Number.isFinite(lowestHeight) || Math.abs(lowestHeight) < 0.01) return;
  const centre = Cartographic.fromCartesian(tileset.boundingSphere.center);
  const surface = Cartesian3.fromRadians(centre.longitude, centre.latitude, 0);
  const lowered = Cartesian3.fromRadians(centre.longitude, centre.latitude, -lowestHeight);
  tileset.modelMatrix = Matrix4.fromTranslation(Cartesian3.subtract(lowered, surface, new Cartesian3()));
}

/**
 * The lowest height of a tileset: from a 6-number extent when the catalog gives one, otherwise from the root
 * bounding region of its tileset.json (0 when it has none).
 */
export async function findLowestHeight(
  tilesetUrl: string,
  bbox: number[] | undefined,
  headers: Record<string, string> = {},
): Promise<number> {
  if (bbox?.length === 6) return bbox[2];
  const response = await fetch(tilesetUrl, { headers });
  if (!response.ok) return 0;
  const json = (await response.json()) as { root?: { boundingVolume?: { region?: number[] } } };
  return json.root?.boundingVolume?.region?.[4] ?? 0;
}
