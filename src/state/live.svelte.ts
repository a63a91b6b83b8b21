// Live NGSI-LD entities from the server's stream: current state by id, what changed since the last draw, and the
// health of the connection, for the live layer and the panels.
import { getContext, setContext } from 'svelte';
import type { LiveEntity, LiveStatus, StreamState } from '../data/live-stream';

const KEY = Symbol('plaza-live');

export class LiveStore {
  /** Current entities by id. Not reactive on purpose (thousands of entries); `version` signals changes. */
  readonly entities = new Map<string, LiveEntity>();
  /** Ids changed or removed since the layer last drew; the layer empties it. */
  readonly pending = new Set<string>();
  /** True when the layer must redraw everything (after a snapshot). */
  redrawAll = true;
  version = $state(0);
  streamState = $state<StreamState>('connecting');
  status = $state<LiveStatus | undefined>(undefined);
  lastEventAt = $state<number | undefined>(undefined);
  malformedEvents = $state(0);
  /** Why the aggregation overlay is missing, for the user. */
  overlayError = $state<string | undefined>(undefined);
  /** Types shown on the map; empty = all. */
  hiddenTypes = $state<string[]>([]);

  applySnapshot(entities: LiveEntity[]): void {
    this.entities.clear();
    for (const entity of entities) this.entities.set(entity.id, entity);
    this.redrawAll = true;
    this.pending.clear();
    this.touch();
  }

  applyUpdate(entities: LiveEntity[]): void {
    for (const entity of entities) {
      this.entities.set(entity.id, entity);
      this.pending.add(entity.id);
    }
    this.touch();
  }

  applyDelete(ids: string[]): void {
    for (const id of ids) {
      this.entities.delete(id);
      this.pending.add(id);
    }
    this.touch();
  }

  /** Entity counts per type, for the legend. */
  countByType(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entity of this.entities.values()) counts.set(entity.type, (counts.get(entity.type) ?? 0) + 1);
    return counts;
  }

  private touch(): void {
    this.lastEventAt = Date.now();
    this.version++;
  }
}

export function setLiveStore(): LiveStore {
  return setContext(KEY, new LiveStore());
}

export function getLiveStore(): LiveStore {
  const store = getContext<LiveStore | undefined>(KEY);
  if (!store) throw new Error('getLiveStore() used outside the app');
  return store;
}
