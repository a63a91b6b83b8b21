// Pushes an OGC collection into an NGSI-LD broker as entities with the shared NGSI-LD client's batch upsert, in
// batches within the brokers' limits (100 by default, Stellio's query maximum; Scorpio caps a batch at 1000), once or
// periodically.
import type { FeatureProvider } from '../providers/provider';
import { NgsiLdClient, NgsiLdClientError, MAX_BATCH, type NgsiLdBatchResult } from '../ngsi-ld/client';
import { CORE_CONTEXT_URL } from '../ngsi-ld/core-context';
import { buildFacadeContext, featureToEntity, type FacadeEntity } from './entities';

/** Most entities per batch any of the known brokers takes. */
export const MAX_UPSERT_BATCH = MAX_BATCH;
/** Default entities per batch. */
export const DEFAULT_UPSERT_BATCH = 100;
/** Milliseconds one batch request may take. */
const BATCH_TIMEOUT_MS = 30_000;

/** What to upsert where. */
export interface UpsertOptions {
  /** The collection id (the entity type). */
  collectionId: string;
  provider: FeatureProvider;
  /** The broker's base URL (…/ngsi-ld/v1). */
  brokerUrl: string;
  tenant?: string;
  /** Bearer token for the broker. */
  token?: string;
  /** API key for the broker, sent in `apiKeyHeader` (default `X-API-Key`). */
  apiKey?: string;
  apiKeyHeader?: string;
  /** Entities per request (default 100, at most 1000). */
  batchSize?: number;
}

/** The outcome of one upsert run. */
export type UpsertResult = NgsiLdBatchResult;

/** The broker refused a whole batch or did not answer. */
export class UpsertError extends Error {
  override name = 'UpsertError';
}

/**
 * Upserts every feature of a collection into a broker as NGSI-LD entities (normalized, with the facade's terms
 * inline as the @context so the broker needs not reach Plaza).
 * @throws UpsertError when the broker refuses a batch as a whole or does not answer; RangeError for a bad batch size
 */
export async function upsertCollection(options: UpsertOptions): Promise<UpsertResult> {
  const batchSize = options.batchSize ?? DEFAULT_UPSERT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_UPSERT_BATCH)
    throw new RangeError(`batch size ${batchSize} is not a whole number from 1 to ${MAX_UPSERT_BATCH}`);
  const client = new NgsiLdClient({
    url: options.brokerUrl,
    tenant: options.tenant,
    token: options.token,
    apiKey: options.apiKey,
    apiKeyHeader: options.apiKeyHeader,
    timeoutMs: BATCH_TIMEOUT_MS,
  });
  const description = await options.provider.describe();
  const context = [
    buildFacadeContext([{ id: options.collectionId, properties: Object.keys(description.properties) }])[
      '@context'
    ],
    CORE_CONTEXT_URL,
  ];
  const result: UpsertResult = { upserted: 0, batches: 0, errors: [] };
  const send = async (entities: FacadeEntity[]) => {
    let sent: NgsiLdBatchResult;
    try {
      sent = await client.batchUpsert(
        entities.map((entity) => ({ ...entity, '@context': context })),
        { chunkSize: batchSize },
      );
    } catch (error) {
      if (!(error instanceof NgsiLdClientError)) throw error;
      throw new UpsertError(
        error.status === undefined
          ? `broker ${options.brokerUrl} did not answer the upsert: ${error.message}`
          : `broker ${options.brokerUrl} refused an upsert of ${entities.length} entities: ${error.message}`,
      );
    }
    result.batches += sent.batches;
    result.upserted += sent.upserted;
    result.errors.push(...sent.errors);
  };
  let batch: FacadeEntity[] = [];
  let offset = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await options.provider.queryFeatures({ limit: MAX_UPSERT_BATCH, offset, cursor });
    for (const feature of page.features) {
      batch.push(featureToEntity(options.collectionId, feature, 'normalized'));
      if (batch.length === batchSize) {
        await send(batch);
        batch = [];
      }
    }
    if (page.features.length === 0 || (!page.nextCursor && page.features.length < MAX_UPSERT_BATCH)) break;
    offset += page.features.length;
    cursor = page.nextCursor;
  }
  if (batch.length) await send(batch);
  return result;
}

/**
 * Upserts a collection now and then every `intervalSeconds`; runs never overlap. Failures go to `onResult`.
 * @returns a function that stops the schedule
 */
export function scheduleUpsert(
  options: UpsertOptions,
  intervalSeconds: number,
  onResult: (result: UpsertResult | Error) => void = () => {},
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    try {
      onResult(await upsertCollection(options));
    } catch (error) {
      onResult(error as Error);
    }
    if (!stopped) timer = setTimeout(() => void run(), intervalSeconds * 1000);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
