// Subscriptions (clause 5.8) and HTTP notifications (clause 5.11): validation, persistence per tenant, matching
// of committed changes, and delivery through one queue per subscription, so a slow or dead endpoint delays
// neither writes nor other subscribers. Failed deliveries retry with exponential backoff.
import { randomUUID } from 'node:crypto';
import type { ContextResolver, NgsiLdContext } from './context';
import { isDateTime, isUri, type StoredEntity } from './entity';
import type { EntityChange, EntityService } from './entities';
import { compileQuery, type CompiledQuery } from './entity-query';
import { badRequestData, ngsiLdError, resourceNotFound } from './errors';
import { geoFilterBox, matchesGeoQuery, parseGeoQuery, type GeoQuery } from './geo-query';
import { renderEntity, renderFeature, type EntityFormat } from './render';
import type { Geometry } from 'geojson';

const ACCEPTS = ['application/json', 'application/ld+json', 'application/geo+json'];
const FORMATS: Record<string, EntityFormat> = {
  normalized: 'normalized',
  concise: 'concise',
  keyValues: 'keyValues',
  simplified: 'keyValues',
};

/** A subscription as stored: the body as given (compact terms), its @context, and its delivery state. */
export interface SubscriptionDocument {
  id: string;
  type: 'Subscription';
  [member: string]: unknown;
  notification: {
    attributes?: string[];
    format?: string;
    endpoint: { uri: string; accept?: string; receiverInfo?: unknown };
    timesSent?: number;
    timesFailed?: number;
    lastNotification?: string;
    lastSuccess?: string;
    lastFailure?: string;
    status?: 'ok' | 'failed';
    [member: string]: unknown;
  };
}

interface ActiveSubscription {
  tenant: string;
  document: SubscriptionDocument;
  context: NgsiLdContext;
  entities?: Array<{ id?: string; idPattern?: RegExp; types: string[] }>;
  watched?: Set<string>;
  query?: CompiledQuery;
  geoQuery?: GeoQuery;
  attributes?: Set<string>;
  format: EntityFormat;
  accept: string;
  queue: StoredEntity[];
  sending: boolean;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
  dirty: boolean;
}

/** Options of {@link SubscriptionService}. */
export interface SubscriptionServiceOptions {
  /** Milliseconds a notification POST may take (default 5000). */
  notificationTimeoutMs?: number;
  /** Delivery attempts per notification (default 3). */
  attempts?: number;
  /** First retry delay, doubled after each failure (default 500 ms). */
  retryDelayMs?: number;
  /** Most entities waiting per subscription; older ones are dropped beyond it (default 10000). */
  maxQueue?: number;
}

/** Subscriptions of every tenant, kept in memory and in each tenant's database. */
export class SubscriptionService {
  readonly #subscriptions = new Map<string, Map<string, ActiveSubscription>>();
  readonly #options: Required<SubscriptionServiceOptions>;
  readonly #loaded = new Set<string>();
  #closed = false;
  #flushTimer: NodeJS.Timeout;

  constructor(
    readonly entities: EntityService,
    readonly contexts: ContextResolver,
    options: SubscriptionServiceOptions = {},
  ) {
    this.#options = {
      notificationTimeoutMs: options.notificationTimeoutMs ?? 5000,
      attempts: options.attempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxQueue: options.maxQueue ?? 10_000,
    };
    entities.onChange((change) => this.#onChange(change));
    // Delivery counters are written in the background: a notification never waits for the disk.
    this.#flushTimer = setInterval(() => this.#flush(), 1000);
    this.#flushTimer.unref();
  }

  /** Loads the stored subscriptions of every tenant with a database (at start-up). */
  async loadAll(): Promise<void> {
    for (const tenant of this.entities.store.tenantNames()) await this.#load(tenant);
  }

  async #load(tenant: string): Promise<Map<string, ActiveSubscription>> {
    let map = this.#subscriptions.get(tenant);
    if (!map) {
      map = new Map();
      this.#subscriptions.set(tenant, map);
    }
    if (this.#loaded.has(tenant)) return map;
    this.#loaded.add(tenant);
    let rows: Array<{ id: string; doc: string }> = [];
    try {
      rows = this.entities.store.tenant(tenant, false).loadSubscriptions();
    } catch {
      return map;
    }
    for (const row of rows) {
      try {
        const document = JSON.parse(row.doc) as SubscriptionDocument;
        map.set(row.id, await this.#activate(tenant, document));
      } catch {
        // A subscription whose context cannot be loaded now stays stored and is retried on the next start.
      }
    }
    return map;
  }

  async #activate(tenant: string, document: SubscriptionDocument): Promise<ActiveSubscription> {
    const context = await this.contexts.resolve(document['@context']);
    const compiled = compileSubscription(document, context);
    const active: ActiveSubscription = {
      tenant,
      document,
      context,
      ...compiled,
      queue: [],
      sending: false,
      lastSentAt: document.notification.lastNotification
        ? Date.parse(document.notification.lastNotification)
        : 0,
      dirty: false,
    };
    this.#schedule(active);
    return active;
  }

  #schedule(active: ActiveSubscription): void {
    if (active.timer) clearInterval(active.timer);
    active.timer = undefined;
    const interval = active.document.timeInterval as number | undefined;
    if (interval && !this.#closed) {
      active.timer = setInterval(() => this.#notifyPeriodically(active), interval * 1000);
      active.timer.unref();
    }
  }

  /**
   * Creates a subscription (POST /subscriptions).
   * @throws ApiError 400 for an invalid body, 409 AlreadyExists for a taken id
   */
  async create(tenant: string, body: Record<string, unknown>, contextValue: unknown): Promise<string> {
    const document = readSubscriptionBody(body, contextValue, true);
    const map = await this.#load(tenant);
    if (map.has(document.id))
      throw ngsiLdError('AlreadyExists', `subscription ${document.id} already exists`);
    const active = await this.#activate(tenant, document);
    this.entities.store.tenant(tenant, true).putSubscription(document.id, JSON.stringify(document));
    map.set(document.id, active);
    return document.id;
  }

  /**
   * Reads a subscription with its status.
   * @throws ApiError 404 when it does not exist
   */
  async get(tenant: string, id: string): Promise<{ document: SubscriptionDocument; context: NgsiLdContext }> {
    const active = (await this.#load(tenant)).get(id);
    if (!active) throw resourceNotFound(`subscription ${id} was not found`);
    return { document: describeSubscription(active), context: active.context };
  }

  /** All subscriptions of a tenant. */
  async list(tenant: string): Promise<Array<{ document: SubscriptionDocument; context: NgsiLdContext }>> {
    this.entities.store.tenant(tenant, false);
    const map = await this.#load(tenant);
    return [...map.values()].map((active) => ({
      document: describeSubscription(active),
      context: active.context,
    }));
  }

  /**
   * Updates members of a subscription (PATCH /subscriptions/{id}).
   * @throws ApiError 404 when it does not exist, 400 when the result is invalid
   */
  async update(
    tenant: string,
    id: string,
    patch: Record<string, unknown>,
    contextValue: unknown,
  ): Promise<void> {
    const map = await this.#load(tenant);
    const active = map.get(id);
    if (!active) throw resourceNotFound(`subscription ${id} was not found`);
    if (patch.id !== undefined && patch.id !== id)
      throw badRequestData(`the body's id ${String(patch.id)} differs from ${id}`);
    const merged: Record<string, unknown> = { ...active.document };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '@context') continue;
      if (key === 'notification' && typeof value === 'object' && value !== null) {
        merged.notification = { ...active.document.notification, ...(value as object) };
      } else if (value === null || value === 'urn:ngsi-ld:null') delete merged[key];
      else merged[key] = value;
    }
    const document = readSubscriptionBody(merged, contextValue ?? active.document['@context'], false);
    document.notification = { ...active.document.notification, ...document.notification };
    const next = await this.#activate(tenant, document);
    if (active.timer) clearInterval(active.timer);
    next.queue = active.queue;
    next.lastSentAt = active.lastSentAt;
    this.entities.store.tenant(tenant, false).putSubscription(id, JSON.stringify(document));
    map.set(id, next);
  }

  /**
   * Deletes a subscription.
   * @throws ApiError 404 when it does not exist
   */
  async delete(tenant: string, id: string): Promise<void> {
    const map = await this.#load(tenant);
    const active = map.get(id);
    if (!active) throw resourceNotFound(`subscription ${id} was not found`);
    if (active.timer) clearInterval(active.timer);
    map.delete(id);
    this.entities.store.tenant(tenant, false).deleteSubscription(id);
  }

  #onChange(change: EntityChange): void {
    if (change.kind === 'delete') return;
    const map = this.#subscriptions.get(change.tenant);
    if (!map || map.size === 0) return;
    const now = Date.now();
    for (const active of map.values()) {
      if (active.document.timeInterval) continue;
      if (!isRunning(active, now)) continue;
      if (!matchesSubscription(active, change.entity)) continue;
      if (active.watched && !change.attributes.some((attribute) => active.watched!.has(attribute))) continue;
      const throttling = active.document.throttling as number | undefined;
      if (throttling && now - active.lastSentAt < throttling * 1000) continue;
      if (throttling) active.lastSentAt = now;
      this.#enqueue(active, [change.entity]);
    }
  }

  #notifyPeriodically(active: ActiveSubscription): void {
    if (!isRunning(active, Date.now())) return;
    try {
      const store = this.entities.store.tenant(active.tenant, false);
      const geo = active.geoQuery;
      const page = store.queryEntities(
        {
          types: active.entities?.flatMap((selector) => selector.types),
          geo: geo
            ? {
                attribute: geo.geoproperty,
                box: geoFilterBox(geo),
                test: (geometry: Geometry) => matchesGeoQuery(geo, geometry),
              }
            : undefined,
          test: (entity) => matchesSubscription(active, entity),
        },
        { limit: 1000, offset: 0, count: false },
      );
      if (page.entities.length > 0) this.#enqueue(active, page.entities);
    } catch {
      // The tenant may have been removed; the next tick tries again.
    }
  }

  #enqueue(active: ActiveSubscription, entities: StoredEntity[]): void {
    active.queue.push(...entities);
    if (active.queue.length > this.#options.maxQueue)
      active.queue.splice(0, active.queue.length - this.#options.maxQueue);
    if (!active.sending) void this.#drain(active);
  }

  async #drain(active: ActiveSubscription): Promise<void> {
    active.sending = true;
    try {
      while (active.queue.length > 0 && !this.#closed) {
        // Everything that queued up while the previous POST was in flight goes out together.
        const batch = active.queue.splice(0, 500);
        await this.#deliver(active, batch);
      }
    } finally {
      active.sending = false;
    }
  }

  async #deliver(active: ActiveSubscription, entities: StoredEntity[]): Promise<void> {
    const { body, headers } = buildNotification(active, entities);
    const notification = active.document.notification;
    let delay = this.#options.retryDelayMs;
    for (let attempt = 1; attempt <= this.#options.attempts && !this.#closed; attempt++) {
      const sentAt = new Date().toISOString();
      notification.lastNotification = sentAt;
      notification.timesSent = (notification.timesSent ?? 0) + 1;
      active.lastSentAt = Date.parse(sentAt);
      active.dirty = true;
      try {
        const response = await fetch(notification.endpoint.uri, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.#options.notificationTimeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          notification.lastSuccess = new Date().toISOString();
          notification.status = 'ok';
          return;
        }
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        notification.lastFailure = new Date().toISOString();
        notification.timesFailed = (notification.timesFailed ?? 0) + 1;
        notification.status = 'failed';
        notification.lastErrorReason = (error as Error).message;
        if (attempt < this.#options.attempts) {
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
          delay *= 2;
        }
      }
    }
  }

  #flush(): void {
    for (const [tenant, map] of this.#subscriptions) {
      for (const active of map.values()) {
        if (!active.dirty) continue;
        active.dirty = false;
        try {
          this.entities.store
            .tenant(tenant, false)
            .putSubscription(active.document.id, JSON.stringify(active.document));
        } catch {
          active.dirty = true;
        }
      }
    }
  }

  /** Stops timers and deliveries and writes the delivery counters. */
  close(): void {
    this.#flush();
    this.#closed = true;
    clearInterval(this.#flushTimer);
    for (const map of this.#subscriptions.values())
      for (const active of map.values()) if (active.timer) clearInterval(active.timer);
  }
}

function isRunning(active: ActiveSubscription, now: number): boolean {
  if (active.document.isActive === false) return false;
  const expiresAt = active.document.expiresAt as string | undefined;
  return !(expiresAt && Date.parse(expiresAt) <= now);
}

function matchesSubscription(active: ActiveSubscription, entity: StoredEntity): boolean {
  if (active.entities) {
    const selected = active.entities.some(
      (selector) =>
        selector.types.some((type) => entity.types.includes(type)) &&
        (selector.id === undefined || selector.id === entity.id) &&
        (selector.idPattern === undefined || selector.idPattern.test(entity.id)),
    );
    if (!selected) return false;
  }
  if (active.query && !active.query.test(entity)) return false;
  if (active.geoQuery) {
    const geo = active.geoQuery;
    const instances = entity.attributes[geo.geoproperty] ?? [];
    if (
      !instances.some(
        (instance) => instance.type === 'GeoProperty' && matchesGeoQuery(geo, instance.value as Geometry),
      )
    ) {
      return false;
    }
  }
  return true;
}

function buildNotification(
  active: ActiveSubscription,
  entities: StoredEntity[],
): { body: string; headers: Record<string, string> } {
  const options = { format: active.format, attributes: active.attributes };
  const accept = active.accept;
  const envelope: Record<string, unknown> = {
    id: `urn:ngsi-ld:Notification:${randomUUID()}`,
    type: 'Notification',
    subscriptionId: active.document.id,
    notifiedAt: new Date().toISOString(),
  };
  const headers: Record<string, string> = { 'content-type': accept };
  if (accept === 'application/geo+json') {
    const geometryProperty = active.context.expandTerm('location');
    envelope.data = {
      type: 'FeatureCollection',
      features: entities.map((entity) =>
        renderFeature(entity, active.context, { ...options, geometryProperty }),
      ),
    };
    headers.link = active.context.linkHeader();
  } else if (accept === 'application/ld+json') {
    envelope.data = entities.map((entity) => renderEntity(entity, active.context, options));
    envelope['@context'] = active.context.bodyContext();
  } else {
    envelope.data = entities.map((entity) => renderEntity(entity, active.context, options));
    headers.link = active.context.linkHeader();
  }
  return { body: JSON.stringify(envelope), headers };
}

function describeSubscription(active: ActiveSubscription): SubscriptionDocument {
  const document = structuredClone(active.document);
  delete document['@context'];
  const now = Date.now();
  const expiresAt = document.expiresAt as string | undefined;
  document.status =
    expiresAt && Date.parse(expiresAt) <= now ? 'expired' : document.isActive === false ? 'paused' : 'active';
  document.notification.timesSent ??= 0;
  delete document.notification.lastErrorReason;
  return document;
}

/**
 * Validates a subscription body and returns the document to store.
 * @throws ApiError 400 BadRequestData naming the offending member
 */
export function readSubscriptionBody(
  body: Record<string, unknown>,
  contextValue: unknown,
  isNew: boolean,
): SubscriptionDocument {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequestData('a subscription must be a JSON object');
  const id = body.id ?? (isNew ? `urn:ngsi-ld:Subscription:${randomUUID()}` : undefined);
  if (!isUri(id)) throw badRequestData(`subscription id ${JSON.stringify(id)} is not a URI`);
  if (body.type !== 'Subscription')
    throw badRequestData(`subscription type must be "Subscription", not ${JSON.stringify(body.type)}`);
  const { entities, watchedAttributes, notification, timeInterval, throttling, expiresAt, isActive } =
    body as Record<string, unknown>;
  if (entities === undefined && watchedAttributes === undefined) {
    throw badRequestData('a subscription needs entities or watchedAttributes');
  }
  if (entities !== undefined) {
    if (!Array.isArray(entities) || entities.length === 0)
      throw badRequestData('entities must be a non-empty array');
    for (const [index, selector] of entities.entries()) {
      if (
        typeof selector !== 'object' ||
        selector === null ||
        typeof (selector as { type?: unknown }).type !== 'string'
      ) {
        throw badRequestData(`entities[${index}] needs a type`);
      }
      const { id: selectorId, idPattern } = selector as { id?: unknown; idPattern?: unknown };
      if (selectorId !== undefined && !isUri(selectorId))
        throw badRequestData(`entities[${index}].id is not a URI`);
      if (idPattern !== undefined) {
        try {
          new RegExp(String(idPattern));
        } catch {
          throw badRequestData(
            `entities[${index}].idPattern '${String(idPattern)}' is not a regular expression`,
          );
        }
      }
    }
  }
  if (watchedAttributes !== undefined) {
    if (
      !Array.isArray(watchedAttributes) ||
      watchedAttributes.length === 0 ||
      !watchedAttributes.every((name) => typeof name === 'string' && name !== '')
    ) {
      throw badRequestData('watchedAttributes must be a non-empty array of attribute names');
    }
    if (timeInterval !== undefined)
      throw badRequestData('timeInterval and watchedAttributes cannot be used together');
  }
  if (timeInterval !== undefined && (typeof timeInterval !== 'number' || !(timeInterval > 0))) {
    throw badRequestData('timeInterval must be a positive number of seconds');
  }
  if (throttling !== undefined && (typeof throttling !== 'number' || !(throttling >= 0))) {
    throw badRequestData('throttling must be a number of seconds >= 0');
  }
  if (throttling !== undefined && timeInterval !== undefined)
    throw badRequestData('throttling and timeInterval cannot be used together');
  if (expiresAt !== undefined) {
    if (!isDateTime(expiresAt))
      throw badRequestData(`expiresAt ${JSON.stringify(expiresAt)} is not a date-time`);
    if (isNew && Date.parse(expiresAt) <= Date.now())
      throw badRequestData(`expiresAt ${expiresAt} is in the past`);
  }
  if (isActive !== undefined && typeof isActive !== 'boolean')
    throw badRequestData('isActive must be true or false');
  if (typeof notification !== 'object' || notification === null)
    throw badRequestData('a subscription needs notification');
  const endpoint = (notification as { endpoint?: { uri?: unknown; accept?: unknown } }).endpoint;
  if (typeof endpoint !== 'object' || endpoint === null)
    throw badRequestData('notification.endpoint is missing');
  if (typeof endpoint.uri !== 'string' || !/^https?:\/\/[^\s]+$/.test(endpoint.uri)) {
    throw badRequestData(`notification.endpoint.uri ${JSON.stringify(endpoint.uri)} is not an http(s) URL`);
  }
  if (endpoint.accept !== undefined && !ACCEPTS.includes(endpoint.accept as string)) {
    throw badRequestData(
      `notification.endpoint.accept ${JSON.stringify(endpoint.accept)} is not one of ${ACCEPTS.join(', ')}`,
    );
  }
  const format = (notification as { format?: unknown }).format;
  if (format !== undefined && (typeof format !== 'string' || !(format in FORMATS))) {
    throw badRequestData(
      `notification.format ${JSON.stringify(format)} is not normalized, concise or keyValues`,
    );
  }
  const attributes = (notification as { attributes?: unknown }).attributes;
  if (
    attributes !== undefined &&
    (!Array.isArray(attributes) || !attributes.every((name) => typeof name === 'string'))
  ) {
    throw badRequestData('notification.attributes must be an array of attribute names');
  }
  const document = { ...body, id } as SubscriptionDocument;
  delete document.status;
  if (document.isActive === undefined) document.isActive = true;
  if (typeof document.q === 'string' && /%[0-9A-Fa-f]{2}/.test(document.q)) {
    // Robot suites send q URL-encoded inside the body.
    try {
      document.q = decodeURIComponent(document.q);
    } catch {
      // Left as is; the parser names the problem.
    }
  }
  if (contextValue !== undefined) document['@context'] = contextValue;
  else delete document['@context'];
  return document;
}

function compileSubscription(document: SubscriptionDocument, context: NgsiLdContext) {
  const entities = (
    document.entities as Array<{ id?: string; idPattern?: string; type: string }> | undefined
  )?.map((selector) => ({
    id: selector.id,
    idPattern: selector.idPattern !== undefined ? new RegExp(selector.idPattern) : undefined,
    types: selector.type.split(',').map((type) => context.expandTerm(type.trim())),
  }));
  const watched = document.watchedAttributes
    ? new Set((document.watchedAttributes as string[]).map((name) => context.expandTerm(name)))
    : undefined;
  const query = typeof document.q === 'string' ? compileQuery(document.q, context) : undefined;
  const geoQ = document.geoQ as Record<string, unknown> | undefined;
  const geoQuery = geoQ ? parseGeoQuery(geoQ, context) : undefined;
  if (geoQ && !geoQuery) throw badRequestData('geoQ needs georel, geometry and coordinates');
  const attributes = document.notification.attributes
    ? new Set(document.notification.attributes.map((name) => context.expandTerm(name)))
    : undefined;
  return {
    entities,
    watched,
    query,
    geoQuery,
    attributes,
    format: FORMATS[document.notification.format ?? 'normalized'],
    accept: document.notification.endpoint.accept ?? 'application/json',
  };
}
