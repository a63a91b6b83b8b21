// One live feed: the current state of one tenant's entities of one type set, kept in step with the broker by one
// subscription (or polling), full re-syncs expressed as deltas, coalesced events with increasing ids, and a bounded
// replay buffer for clients that resume with Last-Event-ID.
import { randomUUID } from 'node:crypto';
import { NgsiLdClientError, type NgsiLdClient } from '../ngsi-ld/client';
import { toLiveEntity, type LiveEntity } from './live-entity';

/** What the viewer is told about the broker. */
export type BrokerState = 'connected' | 'unavailable' | 'incompatible';

/** How the feed learns about changes. */
export type LiveMode = 'subscription' | 'polling';

/** The `status` event's data. */
export interface LiveStatus {
  broker: BrokerState;
  detail: string;
  mode: LiveMode;
}

/** A delta the feed emitted: new states (`update`) or the last states clients saw of removed entities (`delete`). */
export interface FeedEvent {
  id: number;
  kind: 'update' | 'delete';
  entities: LiveEntity[];
  /** For `update`: each entity's state at the previous event (undefined for a new one), for view-box filtering. */
  previous: Array<LiveEntity | undefined>;
  /** The SSE frame for clients without a view box, built once. */
  serialized?: string;
}

/** Who hears a feed (its SSE clients). */
export interface FeedListener {
  onEvent(event: FeedEvent): void;
  onStatus(status: LiveStatus): void;
  /** The feed has its first full state: clients waiting for a snapshot can have it. */
  onSynced(): void;
}

/** Options of {@link LiveFeed}; the defaults are documented on each. */
export interface LiveFeedOptions {
  broker: NgsiLdClient;
  /** The entity types; undefined follows every type the broker has (from `GET /types`). */
  types: string[] | undefined;
  mode: LiveMode;
  /** The notification URL the subscription names (subscription mode). */
  notificationUrl: string;
  /** Text identifying this server's subscriptions at the broker. */
  description: string;
  /** Global event ids: the next one, and the last one handed out. */
  sequence: { next(): number; current(): number };
  /** Milliseconds between subscription checks and re-syncs in subscription mode (default 10 000). */
  checkIntervalMs?: number;
  /** Milliseconds between polls in polling mode (default 2000). */
  pollIntervalMs?: number;
  /** Milliseconds between retries while the broker is unavailable (default 1000). */
  retryIntervalMs?: number;
  /** Changes arriving within this many milliseconds go out as one event: the relay's throttling (default 50). */
  flushIntervalMs?: number;
  /** Events kept for Last-Event-ID resumption (default 2000) ... */
  replayEvents?: number;
  /** ... holding at most this many entities in all (default 100 000). */
  replayEntities?: number;
  /** Lifetime of the subscription; it is renewed at half of it (default one hour). */
  subscriptionLifetimeMs?: number;
}

type Settings = Required<Omit<LiveFeedOptions, 'types'>> & { types: string[] | undefined };

/** Whether a is older than b by their observedAt (unknown times are never older). */
function isOlder(a: LiveEntity, b: LiveEntity): boolean {
  if (!a.observedAt || !b.observedAt) return false;
  return Date.parse(a.observedAt) < Date.parse(b.observedAt);
}

function sameEntity(a: LiveEntity, b: LiveEntity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return (
    a !== undefined && b !== undefined && a.length === b.length && a.every((item, index) => item === b[index])
  );
}

/** One tenant's entities of one type set, relayed. */
export class LiveFeed {
  readonly state = new Map<string, LiveEntity>();
  readonly #settings: Settings;
  readonly #listeners = new Set<FeedListener>();
  readonly #buffer: FeedEvent[] = [];
  #bufferedEntities = 0;
  /** Every event of this feed with an id above this is in the buffer (valid once synced). */
  #bufferStart = 0;
  #synced = false;
  #status: LiveStatus;
  #subscriptionId: string | undefined;
  #subscribedTypes: string[] | undefined;
  #expiresAt = 0;
  #syncing = false;
  #held: LiveEntity[][] = [];
  #pendingUpdates = new Map<string, { previous: LiveEntity | undefined; next: LiveEntity }>();
  #pendingDeletes = new Map<string, LiveEntity>();
  #flushTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  /** Notifications received, and entities in them that were not entities. */
  readonly counters = { notifications: 0, skippedEntities: 0, resyncs: 0 };

  constructor(options: LiveFeedOptions) {
    this.#settings = {
      checkIntervalMs: 10_000,
      pollIntervalMs: 2000,
      retryIntervalMs: 1000,
      flushIntervalMs: 50,
      replayEvents: 2000,
      replayEntities: 100_000,
      subscriptionLifetimeMs: 3_600_000,
      ...definedOnly(options),
      types: options.types,
    } as Settings;
    this.#status = { broker: 'unavailable', detail: 'connecting to the broker', mode: options.mode };
  }

  /** The current broker status. */
  get status(): LiveStatus {
    return this.#status;
  }

  /** Whether the feed has had its first full state. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The broker subscription id (subscription mode, once subscribed). */
  get subscriptionId(): string | undefined {
    return this.#subscriptionId;
  }

  /** Starts syncing: subscribe (or poll) and read the full state. */
  start(): void {
    this.#schedule(0);
  }

  addListener(listener: FeedListener): void {
    this.#listeners.add(listener);
  }

  removeListener(listener: FeedListener): void {
    this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** The current entities and the event id they correspond to. */
  snapshot(): { id: number; entities: LiveEntity[] } {
    return { id: this.#settings.sequence.current(), entities: [...this.state.values()] };
  }

  /**
   * The events after `lastEventId`, or undefined when they are no longer all buffered (the client needs a
   * snapshot).
   */
  eventsAfter(lastEventId: number): FeedEvent[] | undefined {
    if (!this.#synced) return undefined;
    if (lastEventId < this.#bufferStart || lastEventId > this.#settings.sequence.current()) return undefined;
    return this.#buffer.filter((event) => event.id > lastEventId);
  }

  /** Runs a check (subscription mode) or poll now instead of at the next interval. */
  async checkNow(): Promise<void> {
    if (this.#ticking) await this.#ticking;
    if (this.#tickTimer) clearTimeout(this.#tickTimer);
    await this.#tick();
  }

  /**
   * Takes the entities of a notification for this feed's subscription.
   * @returns false when the subscription id is not this feed's current one
   */
  acceptNotification(subscriptionId: string, data: unknown[]): boolean {
    if (this.#closed || subscriptionId !== this.#subscriptionId) return false;
    this.counters.notifications++;
    const entities: LiveEntity[] = [];
    for (const item of data) {
      const entity = toLiveEntity(item);
      if (entity) entities.push(entity);
      else this.counters.skippedEntities++;
    }
    if (this.#syncing) {
      // Applied after the full query, which they may be newer than.
      this.#held.push(entities);
      return true;
    }
    if (!this.#synced) return true;
    this.#applyEntities(entities);
    return true;
  }

  #applyEntities(entities: LiveEntity[]): void {
    for (const entity of entities) {
      const previous = this.state.get(entity.id);
      if (previous && (isOlder(entity, previous) || sameEntity(previous, entity))) continue;
      this.state.set(entity.id, entity);
      this.#recordUpdate(previous, entity);
    }
    this.#scheduleFlush();
  }

  #recordUpdate(previous: LiveEntity | undefined, next: LiveEntity): void {
    const deleted = this.#pendingDeletes.get(next.id);
    if (deleted) {
      this.#pendingDeletes.delete(next.id);
      this.#pendingUpdates.set(next.id, { previous: deleted, next });
      return;
    }
    const pending = this.#pendingUpdates.get(next.id);
    this.#pendingUpdates.set(next.id, { previous: pending ? pending.previous : previous, next });
  }

  #recordDelete(previous: LiveEntity): void {
    this.state.delete(previous.id);
    const pending = this.#pendingUpdates.get(previous.id);
    if (pending) {
      this.#pendingUpdates.delete(previous.id);
      // Created and removed between two events: clients never saw it.
      if (pending.previous) this.#pendingDeletes.set(previous.id, pending.previous);
      return;
    }
    this.#pendingDeletes.set(previous.id, previous);
  }

  #scheduleFlush(): void {
    if (this.#flushTimer || this.#closed) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flush();
    }, this.#settings.flushIntervalMs);
  }

  #flush(): void {
    if (this.#pendingDeletes.size > 0) {
      const entities = [...this.#pendingDeletes.values()];
      this.#pendingDeletes.clear();
      this.#emit({ id: this.#settings.sequence.next(), kind: 'delete', entities, previous: [] });
    }
    if (this.#pendingUpdates.size > 0) {
      const pending = [...this.#pendingUpdates.values()];
      this.#pendingUpdates.clear();
      this.#emit({
        id: this.#settings.sequence.next(),
        kind: 'update',
        entities: pending.map((item) => item.next),
        previous: pending.map((item) => item.previous),
      });
    }
  }

  #emit(event: FeedEvent): void {
    this.#buffer.push(event);
    this.#bufferedEntities += event.entities.length;
    while (
      this.#buffer.length > this.#settings.replayEvents ||
      (this.#bufferedEntities > this.#settings.replayEntities && this.#buffer.length > 1)
    ) {
      const dropped = this.#buffer.shift()!;
      this.#bufferedEntities -= dropped.entities.length;
      this.#bufferStart = dropped.id;
    }
    for (const listener of this.#listeners) listener.onEvent(event);
  }

  #setStatus(broker: BrokerState, detail: string): void {
    if (this.#status.broker === broker && this.#status.detail === detail) return;
    this.#status = { broker, detail, mode: this.#settings.mode };
    for (const listener of this.#listeners) listener.onStatus(this.#status);
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    if (this.#tickTimer) clearTimeout(this.#tickTimer);
    this.#tickTimer = setTimeout(() => void this.#tick(), delay);
    this.#tickTimer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#closed || this.#ticking) return this.#ticking;
    const run = async () => {
      let delay: number;
      try {
        const detail =
          this.#settings.mode === 'polling' ? await this.#poll() : await this.#checkSubscription();
        this.#setStatus('connected', detail);
        delay =
          this.#settings.mode === 'polling' ? this.#settings.pollIntervalMs : this.#settings.checkIntervalMs;
      } catch (error) {
        const state = error instanceof NgsiLdClientError ? error.state : 'unavailable';
        const reason = error instanceof Error ? error.message : String(error);
        this.#setStatus(state, `broker ${state}: ${reason}`);
        delay = Math.min(this.#settings.retryIntervalMs, this.#settings.checkIntervalMs);
      }
      this.#schedule(delay);
    };
    this.#ticking = run().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #poll(): Promise<string> {
    const types = this.#settings.types ?? (await this.#settings.broker.listTypes());
    const detail = `polling ${this.#settings.broker.url} every ${this.#settings.pollIntervalMs / 1000} s for ${describeTypes(types)}`;
    // Said before the re-sync, so a client's first snapshot follows a 'connected' status.
    this.#setStatus('connected', detail);
    await this.#resync(types);
    return detail;
  }

  async #checkSubscription(): Promise<string> {
    const broker = this.#settings.broker;
    const types = this.#settings.types ?? (await broker.listTypes());
    if (types.length === 0) {
      if (this.#subscriptionId) await broker.unsubscribe(this.#subscriptionId);
      this.#subscriptionId = undefined;
      this.#subscribedTypes = undefined;
      const detail = `the broker at ${broker.url} holds no entities yet`;
      this.#setStatus('connected', detail);
      await this.#resync(types);
      return detail;
    }
    let note = '';
    if (!this.#subscriptionId || !sameList(types, this.#subscribedTypes)) {
      await this.#subscribe(types);
    } else {
      const document = await broker.getSubscription(this.#subscriptionId);
      const expired =
        document?.status === 'expired' ||
        document?.isActive === false ||
        (typeof document?.expiresAt === 'string' && Date.parse(document.expiresAt) <= Date.now());
      if (!document || expired) {
        // The broker restarted without it, or it expired: notifications stopped; subscribe again.
        note = document ? ' (the subscription had expired)' : ' (the subscription was lost)';
        await this.#subscribe(types);
      } else if (this.#expiresAt - Date.now() < this.#settings.subscriptionLifetimeMs / 2) {
        const expiresAt = Date.now() + this.#settings.subscriptionLifetimeMs;
        await broker.updateSubscription(this.#subscriptionId, {
          expiresAt: new Date(expiresAt).toISOString(),
        });
        this.#expiresAt = expiresAt;
      }
    }
    const detail = `subscribed at ${broker.url} to ${describeTypes(types)}${note}`;
    this.#setStatus('connected', detail);
    // A full query every check: the safety net for lost notifications and for deletions, which brokers before
    // NGSI-LD 1.9 do not notify.
    await this.#resync(types);
    return detail;
  }

  async #subscribe(types: string[]): Promise<void> {
    const broker = this.#settings.broker;
    if (this.#subscriptionId) {
      const old = this.#subscriptionId;
      this.#subscriptionId = undefined;
      await broker.unsubscribe(old).catch(() => undefined);
    }
    const expiresAt = Date.now() + this.#settings.subscriptionLifetimeMs;
    this.#subscriptionId = await broker.subscribe({
      id: `urn:ngsi-ld:Subscription:plaza-live-${randomUUID()}`,
      description: this.#settings.description,
      entities: types.map((type) => ({ type })),
      notification: {
        format: 'normalized',
        endpoint: { uri: this.#settings.notificationUrl, accept: 'application/json' },
      },
      expiresAt: new Date(expiresAt).toISOString(),
      isActive: true,
    });
    this.#subscribedTypes = types;
    this.#expiresAt = expiresAt;
  }

  /** Reads the full state and turns the difference into deltas (the first time, into the initial state). */
  async #resync(types: string[]): Promise<void> {
    this.#syncing = true;
    this.#held = [];
    try {
      const raw = types.length ? await this.#settings.broker.queryEntities({ type: types }) : [];
      if (this.#closed) return;
      this.counters.resyncs++;
      const fresh = new Map<string, LiveEntity>();
      for (const item of raw) {
        const entity = toLiveEntity(item);
        if (entity) fresh.set(entity.id, entity);
        else this.counters.skippedEntities++;
      }
      if (!this.#synced) {
        for (const [id, entity] of fresh) this.state.set(id, entity);
        this.#synced = true;
        this.#bufferStart = this.#settings.sequence.current();
        for (const listener of this.#listeners) listener.onSynced();
      } else {
        for (const [id, entity] of fresh) {
          const previous = this.state.get(id);
          if (previous && sameEntity(previous, entity)) continue;
          this.state.set(id, entity);
          this.#recordUpdate(previous, entity);
        }
        for (const [id, previous] of [...this.state]) if (!fresh.has(id)) this.#recordDelete(previous);
      }
    } finally {
      this.#syncing = false;
      const held = this.#held;
      this.#held = [];
      if (this.#synced) for (const entities of held) this.#applyEntities(entities);
      this.#scheduleFlush();
    }
  }

  /** Stops timers and removes the subscription from the broker (best effort). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#tickTimer) clearTimeout(this.#tickTimer);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#listeners.clear();
    await this.#ticking?.catch(() => undefined);
    const id = this.#subscriptionId;
    this.#subscriptionId = undefined;
    if (!id) return;
    // A broker that is down must not hold up Plaza's shutdown for a whole request timeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#settings.broker.unsubscribe(id).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 2000))),
    ]);
    clearTimeout(timer);
  }
}

/** The members of an options object that are set, so that undefined ones keep their defaults. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function describeTypes(types: string[]): string {
  return types.length > 5 ? `${types.length} entity types` : types.join(', ');
}
