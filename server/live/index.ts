// Public surface of server/live: the module, the relay and link services, and the LiveEntity shape.
export { createLiveModule, NOTIFICATION_PATH, type LiveModuleOptions } from './module';
export { LiveRelay, type LiveRelayOptions, type LiveClientRequest } from './relay';
export { LiveFeed, type LiveStatus, type BrokerState, type LiveMode, type FeedEvent } from './feed';
export { LinkService, BUILDING_URN_PREFIX, type EntityBuildingLink } from './links';
export { toLiveEntity, isInBoundingBox, type LiveEntity, type LiveBoundingBox } from './live-entity';
