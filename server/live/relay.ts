// The relay: one feed per tenant and type set shared by every browser that asks for it, Server-Sent Events clients
// with their own view box, bounded per-client buffers (a client that cannot keep up is resynced, never waited for),
// heartbeats, and the routing of broker notifications to the feed whose subscription they belong to.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ApiError } from '../http/errors';
import type { NgsiLdClient } from '../ngsi-ld/client';
import { LiveFeed, type FeedEvent, type FeedListener, type LiveMode, type LiveStatus } from './feed';
import { isInBoundingBox, type LiveBoundingBox, type LiveEntity } from './live-entity';

/** Options of {@link LiveRelay}. */
export interface LiveRelayOptions {
  broker: NgsiLdClient;
  mode: LiveMode;
  /** The tenant the broker client talks to ('' for the default), part of each feed's key. */
  tenant: string;
  /** URL prefix of the notification route on this server, ending in `/`; a feed's secret key is appended. */
  notificationBaseUrl: string;
  /** Feed timings (see LiveFeedOptions). */
  checkIntervalMs?: number;
  pollIntervalMs?: number;
  retryIntervalMs?: number;
  flushIntervalMs?: number;
  replayEvents?: number;
  /** Bytes a client's unsent data may reach before it is dropped and resynced (default 4 MiB). */
  maxClientBufferBytes?: number;
  /** Milliseconds a dropped client may take to drain before its connection is closed (default 30 000). */
  stallTimeoutMs?: number;
  /** Milliseconds between heartbeat comments (default 15 000). */
  heartbeatIntervalMs?: number;
  /** Milliseconds a feed without clients lives on, so reconnecting browsers find it warm (default 60 000). */
  lingerMs?: number;
  /** Most feeds (distinct type sets, each a broker subscription) at once (default 64). */
  maxFeeds?: number;
}

/** What a client asked for. */
export interface LiveClientRequest {
  types: string[] | undefined;
  bbox: LiveBoundingBox | undefined;
  lastEventId: number | undefined;
}

/** Serializes one SSE event. */
function formatEvent(event: string, data: string, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** One browser's stream. */
class LiveClient implements FeedListener {
  #waitingForSnapshot = false;
  #overflowed = false;
  #stallTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly response: ServerResponse,
    readonly feed: LiveFeed,
    readonly bbox: LiveBoundingBox | undefined,
    readonly limits: { maxBufferBytes: number; stallTimeoutMs: number },
  ) {}

  /** Sends the first events: status, then a replay or a snapshot (or waits for the feed's first state). */
  open(lastEventId: number | undefined): void {
    this.#write('retry: 2000\n\n');
    this.onStatus(this.feed.status);
    const replay = lastEventId === undefined ? undefined : this.feed.eventsAfter(lastEventId);
    if (replay) {
      for (const event of replay) this.onEvent(event);
    } else if (this.feed.synced) this.#sendSnapshot();
    else this.#waitingForSnapshot = true;
  }

  onSynced(): void {
    if (this.#waitingForSnapshot) this.#sendSnapshot();
  }

  onStatus(status: LiveStatus): void {
    if (this.#overflowed) return;
    this.#write(formatEvent('status', JSON.stringify(status)));
  }

  onEvent(event: FeedEvent): void {
    if (this.#overflowed || this.#waitingForSnapshot) return;
    if (!this.bbox) {
      // The whole frame is built once per event and shared by every client without a view box.
      event.serialized ??= formatEvent(
        event.kind,
        event.kind === 'update'
          ? JSON.stringify({ entities: event.entities })
          : JSON.stringify({ ids: event.entities.map((entity) => entity.id) }),
        event.id,
      );
      this.#write(event.serialized);
      return;
    }
    const box = this.bbox;
    if (event.kind === 'delete') {
      const ids = event.entities.filter((entity) => isInBoundingBox(entity, box)).map((entity) => entity.id);
      if (ids.length) this.#write(formatEvent('delete', JSON.stringify({ ids }), event.id));
      return;
    }
    const updates: LiveEntity[] = [];
    const left: string[] = [];
    event.entities.forEach((entity, index) => {
      if (isInBoundingBox(entity, box)) updates.push(entity);
      else {
        const previous = event.previous[index];
        // It moved out of this client's view: to the client it is gone.
        if (previous && isInBoundingBox(previous, box)) left.push(entity.id);
      }
    });
    let text = '';
    if (left.length)
      text += formatEvent('delete', JSON.stringify({ ids: left }), updates.length ? undefined : event.id);
    if (updates.length) text += formatEvent('update', JSON.stringify({ entities: updates }), event.id);
    if (text) this.#write(text);
  }

  heartbeat(): void {
    if (!this.#overflowed) this.#write(': heartbeat\n\n');
  }

  #sendSnapshot(): void {
    this.#waitingForSnapshot = false;
    const { id, entities } = this.feed.snapshot();
    const visible = this.bbox ? entities.filter((entity) => isInBoundingBox(entity, this.bbox)) : entities;
    this.#write(formatEvent('snapshot', JSON.stringify({ entities: visible }), id));
  }

  #write(text: string): void {
    if (this.#closed || this.response.destroyed || this.#overflowed) return;
    // Measured before writing, so one event larger than the allowance still goes to a client that keeps up.
    if (this.response.writableLength > this.limits.maxBufferBytes) {
      // The browser reads slower than events come: stop queueing deltas for it; once its socket drains it gets a
      // fresh status and snapshot, and if it never drains it is disconnected (EventSource will reconnect).
      this.#overflowed = true;
      this.#stallTimer = setTimeout(() => this.response.destroy(), this.limits.stallTimeoutMs);
      this.#stallTimer.unref();
      this.response.once('drain', () => {
        clearTimeout(this.#stallTimer);
        this.#overflowed = false;
        this.onStatus(this.feed.status);
        this.#sendSnapshot();
      });
      return;
    }
    this.response.write(text);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#stallTimer);
    if (!this.response.destroyed) this.response.end();
  }
}

/** Relays broker changes to SSE clients. */
export class LiveRelay {
  readonly #options: LiveRelayOptions;
  readonly #feeds = new Map<string, LiveFeed>();
  readonly #feedsByKey = new Map<string, LiveFeed>();
  readonly #lingerTimers = new Map<LiveFeed, NodeJS.Timeout>();
  readonly #clients = new Set<LiveClient>();
  readonly #heartbeat: NodeJS.Timeout;
  // Event ids start at the clock in microseconds, so they keep increasing across restarts of this server and a
  // browser's old Last-Event-ID is never mistaken for a recent one.
  #sequence = Date.now() * 1000;
  #closed = false;

  constructor(options: LiveRelayOptions) {
    this.#options = options;
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.heartbeat();
    }, options.heartbeatIntervalMs ?? 15_000);
    this.#heartbeat.unref();
  }

  /** The feeds that exist now, by type set key. */
  get feeds(): ReadonlyMap<string, LiveFeed> {
    return this.#feeds;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /**
   * The feed of a type set (undefined: every type), created and started on first use.
   * @throws ApiError 429 when as many feeds as allowed exist already (each holds a subscription at the broker)
   */
  feedFor(types: string[] | undefined): LiveFeed {
    const normalized = types ? [...new Set(types)].sort() : undefined;
    const setKey = `${this.#options.tenant}|${normalized ? normalized.join(',') : '*'}`;
    let feed = this.#feeds.get(setKey);
    if (!feed) {
      const maxFeeds = this.#options.maxFeeds ?? 64;
      if (this.#feeds.size >= maxFeeds) {
        throw new ApiError(
          429,
          `the live relay already follows ${maxFeeds} different type sets; ask for fewer combinations of 'types' or none (every type)`,
        );
      }
      const secret = randomBytes(18).toString('base64url');
      feed = new LiveFeed({
        broker: this.#options.broker,
        types: normalized,
        mode: this.#options.mode,
        notificationUrl: this.#options.notificationBaseUrl + secret,
        description: `Plaza live relay (${this.#options.notificationBaseUrl}; tenant '${this.#options.tenant}'; types ${normalized ? normalized.join(',') : 'all'})`,
        sequence: { next: () => ++this.#sequence, current: () => this.#sequence },
        checkIntervalMs: this.#options.checkIntervalMs,
        pollIntervalMs: this.#options.pollIntervalMs,
        retryIntervalMs: this.#options.retryIntervalMs,
        flushIntervalMs: this.#options.flushIntervalMs,
        replayEvents: this.#options.replayEvents,
      });
      this.#feeds.set(setKey, feed);
      this.#feedsByKey.set(secret, feed);
      feed.start();
    }
    return feed;
  }

  /**
   * Streams a feed to one response (already carrying the SSE headers) until the client goes away.
   */
  attachClient(response: ServerResponse, request: LiveClientRequest): void {
    const feed = this.feedFor(request.types);
    const linger = this.#lingerTimers.get(feed);
    if (linger) {
      clearTimeout(linger);
      this.#lingerTimers.delete(feed);
    }
    const client = new LiveClient(response, feed, request.bbox, {
      maxBufferBytes: this.#options.maxClientBufferBytes ?? 4 * 1024 * 1024,
      stallTimeoutMs: this.#options.stallTimeoutMs ?? 30_000,
    });
    this.#clients.add(client);
    feed.addListener(client);
    const detach = () => {
      this.#clients.delete(client);
      feed.removeListener(client);
      if (feed.listenerCount === 0 && !this.#closed) this.#scheduleRetire(feed);
    };
    response.once('close', detach);
    client.open(request.lastEventId);
  }

  #scheduleRetire(feed: LiveFeed): void {
    const timer = setTimeout(() => {
      this.#lingerTimers.delete(feed);
      if (feed.listenerCount > 0) return;
      for (const [key, value] of this.#feeds) if (value === feed) this.#feeds.delete(key);
      for (const [key, value] of this.#feedsByKey) if (value === feed) this.#feedsByKey.delete(key);
      void feed.close();
    }, this.#options.lingerMs ?? 60_000);
    timer.unref();
    this.#lingerTimers.set(feed, timer);
  }

  /**
   * Hands a notification to the feed it was addressed to.
   * @returns false when no feed has this key or the subscription is not the feed's current one
   */
  acceptNotification(key: string, subscriptionId: string, data: unknown[]): boolean {
    const feed = this.#feedsByKey.get(key);
    return feed ? feed.acceptNotification(subscriptionId, data) : false;
  }

  /**
   * Removes subscriptions this server left at the broker in an earlier run (their notification URL starts with
   * this server's notification prefix but names no live feed). Best effort.
   */
  async removeStaleSubscriptions(): Promise<number> {
    const subscriptions = await this.#options.broker.listSubscriptions();
    let removed = 0;
    for (const subscription of subscriptions) {
      const endpoint = (subscription.notification as { endpoint?: { uri?: unknown } } | undefined)?.endpoint
        ?.uri;
      if (typeof endpoint !== 'string' || !endpoint.startsWith(this.#options.notificationBaseUrl)) continue;
      if (this.#feedsByKey.has(endpoint.slice(this.#options.notificationBaseUrl.length))) continue;
      if (typeof subscription.id !== 'string') continue;
      await this.#options.broker.unsubscribe(subscription.id);
      removed++;
    }
    return removed;
  }

  /** Ends every stream and feed; feeds remove their subscriptions. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const timer of this.#lingerTimers.values()) clearTimeout(timer);
    for (const client of this.#clients) client.close();
    this.#clients.clear();
    await Promise.all([...this.#feeds.values()].map((feed) => feed.close()));
    this.#feeds.clear();
    this.#feedsByKey.clear();
  }
}
