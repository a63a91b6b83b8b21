// Entity operations (clause 5.6): create, replace, merge, append, update, delete, and the batch operations, on a
// tenant store. Framework-free: the HTTP routes translate requests into these calls. Each write commits before
// it returns and then reports what changed to the listeners (subscriptions).
import type { EntityInput, StoredAttribute, StoredEntity } from './entity';
import { ngsiLdError, resourceNotFound } from './errors';
import type { BrokerStore, TenantStore } from './store';
import type { ApiError } from '../http/errors';

/** One committed change, as subscriptions see it. */
export interface EntityChange {
  tenant: string;
  kind: 'create' | 'update' | 'delete';
  /** The entity after the change (before it, for a delete). */
  entity: StoredEntity;
  /** Expanded IRIs of the attributes written or removed. */
  attributes: string[];
}

export type ChangeListener = (change: EntityChange) => void;

/** The outcome of an attribute write that may leave some attributes alone (207 with `notUpdated`). */
export interface AttributeWriteResult {
  updated: string[];
  notUpdated: Array<{ attribute: string; reason: string }>;
}

/** One failed entity in a batch. */
export interface BatchError {
  entityId: string;
  error: ApiError;
}

/** A batch outcome: 201/204 when all succeed, otherwise 207 with both lists. */
export interface BatchResult {
  success: string[];
  errors: BatchError[];
  /** For upsert: ids that were created (201 when all were). */
  created: string[];
}

/** Options of {@link EntityService}. */
export interface EntityServiceOptions {
  /** Whether writes keep attribute history (default true). */
  history?: boolean;
  /** Clock, for tests. */
  now?: () => string;
}

/** Entity reads and writes over all tenants. */
export class EntityService {
  readonly #listeners: ChangeListener[] = [];
  readonly #history: boolean;
  readonly #now: () => string;

  constructor(
    readonly store: BrokerStore,
    options: EntityServiceOptions = {},
  ) {
    this.#history = options.history ?? true;
    this.#now = options.now ?? (() => new Date().toISOString());
  }

  /** Calls `listener` after every committed change. */
  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /** The current time stamp writes use. */
  now(): string {
    return this.#now();
  }

  #emit(changes: EntityChange[]): void {
    for (const change of changes) for (const listener of this.#listeners) listener(change);
  }

  #record(
    store: TenantStore,
    entity: StoredEntity,
    attributes: Record<string, StoredAttribute[]>,
    now: string,
  ): void {
    if (this.#history && Object.keys(attributes).length > 0) store.recordHistory(entity, attributes, now);
  }

  /**
   * Reads one entity.
   * @throws ApiError 404 ResourceNotFound (or NonexistentTenant)
   */
  getEntity(tenant: string, id: string): StoredEntity {
    const entity = this.store.tenant(tenant, false).getEntity(id);
    if (!entity) throw resourceNotFound(`entity ${id} was not found`);
    return entity;
  }

  #createIn(store: TenantStore, tenant: string, input: EntityInput, now: string): EntityChange {
    const entity: StoredEntity = {
      id: input.id!,
      types: input.types!,
      ...(input.scope ? { scope: input.scope } : {}),
      createdAt: now,
      modifiedAt: now,
      attributes: input.attributes,
    };
    store.insertEntity(entity);
    this.#record(store, entity, entity.attributes, now);
    return { tenant, kind: 'create', entity, attributes: Object.keys(entity.attributes) };
  }

  /**
   * Creates an entity (POST /entities).
   * @throws ApiError 409 AlreadyExists
   */
  createEntity(tenant: string, input: EntityInput): StoredEntity {
    const store = this.store.tenant(tenant, true);
    const now = this.#now();
    const change = store.transaction(() => this.#createIn(store, tenant, input, now));
    this.#emit([change]);
    return change.entity;
  }

  #replaceIn(
    store: TenantStore,
    tenant: string,
    existing: StoredEntity,
    input: EntityInput,
    now: string,
  ): EntityChange {
    const entity: StoredEntity = {
      id: existing.id,
      types: input.types ?? existing.types,
      ...(input.scope ? { scope: input.scope } : existing.scope ? { scope: existing.scope } : {}),
      createdAt: existing.createdAt,
      modifiedAt: now,
      attributes: input.attributes,
    };
    store.writeEntity(entity, existing);
    this.#record(store, entity, entity.attributes, now);
    const touched = new Set([...Object.keys(existing.attributes), ...Object.keys(entity.attributes)]);
    return { tenant, kind: 'update', entity, attributes: [...touched] };
  }

  /**
   * Replaces an entity entirely (PUT /entities/{id}), keeping createdAt.
   * @throws ApiError 404 when it does not exist, 400 when the body names another id
   */
  replaceEntity(tenant: string, id: string, input: EntityInput): StoredEntity {
    if (input.id !== undefined && input.id !== id) {
      throw ngsiLdError('BadRequestData', `the body's id ${input.id} differs from the URL's ${id}`);
    }
    const store = this.store.tenant(tenant, false);
    const now = this.#now();
    const change = store.transaction(() => {
      const existing = store.getEntity(id);
      if (!existing) throw resourceNotFound(`entity ${id} was not found`);
      return this.#replaceIn(store, tenant, existing, input, now);
    });
    this.#emit([change]);
    return change.entity;
  }

  #writeAttributesIn(
    store: TenantStore,
    tenant: string,
    existing: StoredEntity,
    input: EntityInput,
    mode: 'append' | 'appendNoOverwrite' | 'update' | 'merge',
    now: string,
  ): { change?: EntityChange; result: AttributeWriteResult } {
    const entity: StoredEntity = structuredClone(existing);
    const result: AttributeWriteResult = { updated: [], notUpdated: [] };
    const written: Record<string, StoredAttribute[]> = {};
    if (input.types && mode !== 'update') {
      for (const type of input.types) if (!entity.types.includes(type)) entity.types.push(type);
    }
    if (input.scope && mode === 'merge') entity.scope = input.scope;
    for (const [attribute, instances] of Object.entries(input.attributes)) {
      const current = entity.attributes[attribute];
      for (const instance of instances) {
        const index = current?.findIndex((candidate) => candidate.datasetId === instance.datasetId) ?? -1;
        if (index === -1) {
          if (mode === 'update') {
            result.notUpdated.push({
              attribute,
              reason: instance.datasetId
                ? `no instance with datasetId ${instance.datasetId}`
                : 'attribute does not exist',
            });
            continue;
          }
          (entity.attributes[attribute] ??= []).push(instance);
        } else {
          if (mode === 'appendNoOverwrite') {
            result.notUpdated.push({ attribute, reason: 'attribute exists and noOverwrite was asked' });
            continue;
          }
          const previous = current![index];
          const next: StoredAttribute =
            mode === 'merge'
              ? mergeInstance(previous, instance)
              : { ...instance, createdAt: previous.createdAt ?? now };
          current![index] = next;
          instance.createdAt = next.createdAt;
        }
        (written[attribute] ??= []).push(
          entity.attributes[attribute].find((candidate) => candidate.datasetId === instance.datasetId)!,
        );
        if (!result.updated.includes(attribute)) result.updated.push(attribute);
      }
    }
    for (const attribute of input.deletions) {
      if (entity.attributes[attribute]) {
        delete entity.attributes[attribute];
        result.updated.push(attribute);
      }
    }
    if (result.updated.length === 0 && !(input.types && mode !== 'update')) return { result };
    entity.modifiedAt = now;
    store.writeEntity(entity, existing);
    this.#record(store, entity, written, now);
    return { change: { tenant, kind: 'update', entity, attributes: result.updated }, result };
  }

  /**
   * Appends attributes (POST /entities/{id}/attrs), or updates existing ones (PATCH /entities/{id}/attrs), or
   * merges (PATCH /entities/{id}).
   * @throws ApiError 404 when the entity does not exist
   */
  writeAttributes(
    tenant: string,
    id: string,
    input: EntityInput,
    mode: 'append' | 'appendNoOverwrite' | 'update' | 'merge',
  ): AttributeWriteResult {
    const store = this.store.tenant(tenant, false);
    const now = this.#now();
    const outcome = store.transaction(() => {
      const existing = store.getEntity(id);
      if (!existing) throw resourceNotFound(`entity ${id} was not found`);
      return this.#writeAttributesIn(store, tenant, existing, input, mode, now);
    });
    if (outcome.change) this.#emit([outcome.change]);
    return outcome.result;
  }

  /**
   * Partially updates one attribute (PATCH /entities/{id}/attrs/{attr}): members given replace those stored.
   * @throws ApiError 404 when the entity or attribute (instance) does not exist
   */
  patchAttribute(
    tenant: string,
    id: string,
    attribute: string,
    fragment: Partial<StoredAttribute>,
    name: string,
  ): void {
    const store = this.store.tenant(tenant, false);
    const now = this.#now();
    const change = store.transaction(() => {
      const existing = store.getEntity(id);
      if (!existing) throw resourceNotFound(`entity ${id} was not found`);
      const instances = existing.attributes[attribute];
      const index = instances?.findIndex((instance) => instance.datasetId === fragment.datasetId) ?? -1;
      if (index === -1)
        throw resourceNotFound(
          `entity ${id} has no attribute '${name}'${fragment.datasetId ? ` with datasetId ${fragment.datasetId}` : ''}`,
        );
      const next = mergeInstance(instances[index], fragment as StoredAttribute);
      next.modifiedAt = now;
      instances[index] = next;
      existing.modifiedAt = now;
      store.writeEntity(existing);
      this.#record(store, existing, { [attribute]: [next] }, now);
      return { tenant, kind: 'update' as const, entity: existing, attributes: [attribute] };
    });
    this.#emit([change]);
  }

  /**
   * Deletes an attribute (all instances with deleteAll, else the one with `datasetId`, or the default instance).
   * @throws ApiError 404 when the entity or attribute does not exist
   */
  deleteAttribute(
    tenant: string,
    id: string,
    attribute: string,
    name: string,
    options: { datasetId?: string; deleteAll?: boolean },
  ): void {
    const store = this.store.tenant(tenant, false);
    const now = this.#now();
    const change = store.transaction(() => {
      const existing = store.getEntity(id);
      if (!existing) throw resourceNotFound(`entity ${id} was not found`);
      const instances = existing.attributes[attribute];
      if (!instances) throw resourceNotFound(`entity ${id} has no attribute '${name}'`);
      const remaining = options.deleteAll
        ? []
        : instances.filter((instance) => instance.datasetId !== options.datasetId);
      if (remaining.length === instances.length) {
        throw resourceNotFound(
          `entity ${id} has no instance of '${name}' with ${options.datasetId ? `datasetId ${options.datasetId}` : 'no datasetId'}`,
        );
      }
      if (remaining.length === 0) delete existing.attributes[attribute];
      else existing.attributes[attribute] = remaining;
      existing.modifiedAt = now;
      store.writeEntity(existing);
      return { tenant, kind: 'update' as const, entity: existing, attributes: [attribute] };
    });
    this.#emit([change]);
  }

  /**
   * Deletes an entity.
   * @throws ApiError 404 when it does not exist
   */
  deleteEntity(tenant: string, id: string): void {
    const store = this.store.tenant(tenant, false);
    const deleted = store.transaction(() => store.deleteEntity(id));
    if (!deleted) throw resourceNotFound(`entity ${id} was not found`);
    this.#emit([{ tenant, kind: 'delete', entity: deleted, attributes: Object.keys(deleted.attributes) }]);
  }

  /**
   * A batch operation in one transaction; a failing entity is reported and the others still apply.
   * @param inputs - validated entities, or the ApiError that validating each one gave
   */
  batch(
    tenant: string,
    operation: 'create' | 'upsert' | 'upsertUpdate' | 'update' | 'updateNoOverwrite' | 'merge' | 'delete',
    inputs: Array<{ id: string; input?: EntityInput; error?: ApiError }>,
  ): BatchResult {
    const store = this.store.tenant(tenant, operation === 'create' || operation.startsWith('upsert'));
    const now = this.#now();
    const result: BatchResult = { success: [], errors: [], created: [] };
    const changes: EntityChange[] = [];
    store.transaction(() => {
      for (const { id, input, error } of inputs) {
        if (error) {
          result.errors.push({ entityId: id, error });
          continue;
        }
        try {
          const existing = operation === 'create' ? undefined : store.getEntity(id);
          let change: EntityChange | undefined;
          switch (operation) {
            case 'create':
              change = this.#createIn(store, tenant, input!, now);
              break;
            case 'upsert':
            case 'upsertUpdate':
              if (!existing) {
                change = this.#createIn(store, tenant, input!, now);
                result.created.push(id);
              } else if (operation === 'upsert')
                change = this.#replaceIn(store, tenant, existing, input!, now);
              else change = this.#writeAttributesIn(store, tenant, existing, input!, 'append', now).change;
              break;
            case 'update':
            case 'updateNoOverwrite':
            case 'merge': {
              if (!existing) throw resourceNotFound(`entity ${id} was not found`);
              const mode =
                operation === 'update'
                  ? 'append'
                  : operation === 'updateNoOverwrite'
                    ? 'appendNoOverwrite'
                    : 'merge';
              change = this.#writeAttributesIn(store, tenant, existing, input!, mode, now).change;
              break;
            }
            case 'delete': {
              const deleted = store.deleteEntity(id);
              if (!deleted) throw resourceNotFound(`entity ${id} was not found`);
              change = {
                tenant,
                kind: 'delete',
                entity: deleted,
                attributes: Object.keys(deleted.attributes),
              };
              break;
            }
          }
          if (change) changes.push(change);
          result.success.push(id);
        } catch (caught) {
          if ((caught as ApiError).status === undefined) throw caught;
          result.errors.push({ entityId: id, error: caught as ApiError });
        }
      }
    });
    this.#emit(changes);
    return result;
  }
}

/** Merge-patch of one attribute instance: members and sub-attributes given replace those stored (clause 5.6.17). */
function mergeInstance(previous: StoredAttribute, patch: StoredAttribute): StoredAttribute {
  const merged: StoredAttribute = { ...previous };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'createdAt') continue;
    if (value === undefined) continue;
    merged[key] = value;
  }
  if (patch.type && patch.type !== previous.type) {
    // A type change replaces the value members of the old type.
    for (const member of ['value', 'object', 'languageMap', 'json', 'vocab', 'valueList', 'objectList']) {
      if (!(member in patch)) delete merged[member];
    }
  }
  return merged;
}
