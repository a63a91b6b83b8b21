// The NGSI-LD facade over OGC API Features collections: module, entity mapping, queries, broker upsert.
export {
  createFacadeModule,
  FACADE_DEFAULT_LIMIT,
  FACADE_MAX_LIMIT,
  type FacadeModuleOptions,
} from './module';
export {
  FACADE_BASE_PATH,
  FACADE_CONTEXT_PATH,
  FACADE_VOCABULARY,
  buildFacadeContext,
  entityIdOf,
  featureToEntity,
  parseEntityId,
  type FacadeEntity,
  type FacadeFormat,
} from './entities';
export { parseFacadeFilter, queryFacade, toCql2, type FacadeFilter, type FacadeSource } from './query';
export { RemoteOgcProvider, listRemoteCollections } from './remote';
export {
  upsertCollection,
  scheduleUpsert,
  UpsertError,
  DEFAULT_UPSERT_BATCH,
  MAX_UPSERT_BATCH,
  type UpsertOptions,
  type UpsertResult,
} from './upsert';
