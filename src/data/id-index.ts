// Reads a tileset's id index (ids.json beside tileset.json): persistent id -> tile and region, written by the tiler.
import { fetchJson } from './errors';

export interface IdIndexEntry {
  type: string;
  /** [west, south, east, north, minimum height, maximum height] in degrees and metres. */
  region: number[];
  parentId?: string;
}

/**
 * Fetches the id index of a tileset; an empty index when the tileset has none.
 * @throws NetworkError when the server does not answer
 */
export async function fetchIdIndex(
  tilesetUrl: string,
  options: { credential?: string; signal?: AbortSignal } = {},
): Promise<Record<string, IdIndexEntry>> {
  const url = new URL('ids.json', tilesetUrl).href;
  try {
    const body = await fetchJson<{ features?: Record<string, IdIndexEntry> }>(url, {
      signal: options.signal,
      headers: options.credential ? { authorization: `Bearer ${options.credential}` } : {},
      timeoutMs: 20_000,
    });
    return body.features ?? {};
  } catch (error) {
    if ((error as { status?: number }).status === 404) return {};
    throw error;
  }
}

/** Whether a region overlaps a [west, south, east, north] box. */
export function regionInView(region: number[], view: [number, number, number, number]): boolean {
  return region[0] <= view[2] && region[2] >= view[0] && region[1] <= view[3] && region[3] >= view[1];
}
