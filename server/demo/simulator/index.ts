// server/demo/simulator: live Smart Data Models sensors in the demo district, written through the NGSI-LD API.
export { createSimulatorModule, type SimulatorModuleOptions } from './module';
export {
  buildingEntityId,
  createSimulatedSensors,
  createSupportingEntities,
  type SimulatedSensorOptions,
} from './sensors';
export { createSensorEntity, nextObservation } from './observations';
export {
  createUpdateSchedule,
  Simulator,
  type SimulatorLogger,
  type SimulatorOptions,
  type SimulatorStatus,
} from './simulator';
export { NgsiLdWriter, NgsiLdWriteError, type BatchOutcome, type NgsiLdWriterOptions } from './writer';
export type {
  NgsiLdAttribute,
  NgsiLdAttributes,
  NgsiLdEntity,
  SimulatedEntityType,
  SimulatedSensor,
} from './model';
export { UNIT_CODES } from './model';
