// Reads the id index that the tiler writes beside tileset.json: persistent id → tile, feature id and bounding region,
// so the server and viewer can find a building by its id (MIM7 C4).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from './errors';
import { ID_INDEX_FILE } from './stages/write-tileset';

/** One entry of ids.json. */
export interface IdIndexEntry {
  /** Tile content URI relative to tileset.json, e.g. `tiles/3-5-2.glb`. */
  tile: string;
  /** The object's feature id (EXT_mesh_features) in that tile; absent for parents found through their parts. */
  feature?: number;
  /** CityGML class, e.g. `Building`, `BuildingPart`. */
  type: string;
  /** [west, south, east, north] in degrees, [minimum, maximum] height in metres above the WGS84 ellipsoid. */
  region: [number, number, number, number, number, number];
  /** The Building (Bridge, …) this part belongs to. */
  parentId?: string;
  /** For a parent without geometry of its own: the ids of its parts. */
  parts?: string[];
}

/** The parsed ids.json. */
export interface IdIndex {
  version: number;
  tileset: string;
  features: Record<string, IdIndexEntry>;
}

/**
 * Reads `<tilesetDirectory>/ids.json`.
 * @throws DataError when the file is missing or not an id index.
 */
export async function readIdIndex(tilesetDirectory: string): Promise<IdIndex> {
  const file = path.join(tilesetDirectory, ID_INDEX_FILE);
  let index: IdIndex;
  try {
    index = JSON.parse(await readFile(file, 'utf8')) as IdIndex;
  } catch (error) {
    throw new DataError(`cannot read the id index (${(error as Error).message})`, file);
  }
  if (
    index === null ||
    typeof index !== 'object' ||
    typeof index.features !== 'object' ||
    index.features === null
  ) {
    throw new DataError('not a Plaza id index (no "features" object)', file);
  }
  return index;
}
