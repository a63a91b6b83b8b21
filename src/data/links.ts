// Reads the server's two-way links between NGSI-LD entities and buildings (/links, MIM7 C4).
import { fetchJson } from './errors';

export interface EntityBuildingLink {
  entity: string;
  entityType: string;
  /** The building's persistent id. */
  feature: string;
  reason: 'relationship' | 'location';
  detail: string;
}

/**
 * The links of a building (`{ feature }`) or of an entity (`{ entity }`); none when the server knows no links.
 * @throws ResponseError (other than 404) | NetworkError
 */
export async function fetchLinks(
  serverUrl: string,
  query: { feature: string } | { entity: string },
  signal?: AbortSignal,
): Promise<EntityBuildingLink[]> {
  const url = new URL(`${serverUrl}/links`, globalThis.location?.href);
  if ('feature' in query) url.searchParams.set('feature', query.feature);
  else url.searchParams.set('entity', query.entity);
  try {
    const body = await fetchJson<{ links?: EntityBuildingLink[] }>(url.href, { signal, timeoutMs: 8000 });
    return Array.isArray(body.links) ? body.links : [];
  } catch (error) {
    if ((error as { status?: number }).status === 404) return [];
    throw error;
  }
}
