// The NGSI-LD shapes the simulator writes (normalized representation) and the simulated sensor description.
import type { LineString, Point } from 'geojson';
import type { DemoAddress, LonLat } from '../city/types';

export type NgsiLdProperty = {
  type: 'Property';
  value: unknown;
  unitCode?: string;
  observedAt?: string;
};
export type NgsiLdGeoProperty = { type: 'GeoProperty'; value: Point | LineString };
export type NgsiLdRelationship = { type: 'Relationship'; object: string };
export type NgsiLdAttribute = NgsiLdProperty | NgsiLdGeoProperty | NgsiLdRelationship;

/** A normalized NGSI-LD entity (terms resolve through the core context's default vocabulary or a configured one). */
export interface NgsiLdEntity {
  id: string;
  type: string;
  [attribute: string]: string | NgsiLdAttribute;
}

/** The observed attributes of one update of one entity: a fragment for batch update. */
export type NgsiLdAttributes = Record<string, NgsiLdAttribute>;

export type SimulatedEntityType =
  | 'AirQualityObserved'
  | 'NoiseLevelObserved'
  | 'TrafficFlowObserved'
  | 'ParkingSpot'
  | 'OffStreetParking'
  | 'WeatherObserved'
  | 'StreetLight'
  | 'Device';

/** One simulated entity whose attributes change over time, placed in the demo district. */
export interface SimulatedSensor {
  /** Stable entity id, `urn:ngsi-ld:<Type>:<district object id>`. */
  id: string;
  type: SimulatedEntityType;
  name: string;
  location: Point | LineString;
  /** Where its local time and the sun are computed. */
  position: LonLat;
  /** Per-sensor seed of its noise and phases (a hash of the id). */
  seed: number;
  /** The Device entity that measures it. */
  refDevice?: string;
  /** The building it is mounted on, `urn:ngsi-ld:Building:<building id>`. */
  refBuilding?: string;
  refPointOfInterest?: string;
  refParkingSite?: string;
  /** Device only: what it measures. */
  controlledProperty?: string[];
  /** Traffic: vehicles per hour at the daily peak; OffStreetParking: spots; 0 otherwise. */
  capacity: number;
  /** Traffic: speed limit in km/h. */
  speedLimit?: number;
  /** 0..1: how exposed the place is to traffic (1 beside a main street). */
  exposure: number;
  address?: DemoAddress;
}

/** Units of measure, UN/CEFACT common codes as NGSI-LD `unitCode` expects them. */
export const UNIT_CODES = {
  microgramPerCubicMetre: 'GQ',
  decibel: '2N',
  kilometrePerHour: 'KMH',
  degreeCelsius: 'CEL',
  hectopascal: 'A97',
  metrePerSecond: 'MTS',
  degreeAngle: 'DD',
  millimetre: 'MMT',
  /** Dimensionless numbers and fractions ("one"). */
  one: 'C62',
} as const;
