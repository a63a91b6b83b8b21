// Reading entities of every NGSI-LD representation into LiveEntity, and the view-box test.
import { describe, expect, it } from 'vitest';
import {
  isInBoundingBox,
  readNotificationItems,
  toLiveEntity,
  type LiveEntity,
} from '../../../server/live/live-entity';

const point = (coordinates: [number, number]) => ({ type: 'Point' as const, coordinates });

describe('live-entity', () => {
  it('reads a normalized entity: values, units, newest observedAt, relationships, location', () => {
    const entity = toLiveEntity({
      id: 'urn:ngsi-ld:AirQualityObserved:1',
      type: 'AirQualityObserved',
      NO2: { type: 'Property', value: 22.5, unitCode: 'GQ', observedAt: '2026-01-01T10:00:00Z' },
      CO: { type: 'Property', value: 0.3, observedAt: '2026-01-01T10:05:00Z' },
      name: { type: 'Property', value: 'Luisenplatz' },
      address: { type: 'Property', value: { streetAddress: 'Luisenplatz 1' } },
      dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': '2026-01-01T10:05:00Z' } },
      refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:9' },
      refSensors: { type: 'Relationship', object: ['urn:ngsi-ld:Device:1', 'urn:ngsi-ld:Device:2'] },
      location: { type: 'GeoProperty', value: point([8.65, 49.87]) },
      modifiedAt: '2026-01-02T00:00:00Z',
    });
    expect(entity).toEqual({
      id: 'urn:ngsi-ld:AirQualityObserved:1',
      type: 'AirQualityObserved',
      location: point([8.65, 49.87]),
      observedAt: '2026-01-01T10:05:00Z',
      values: {
        NO2: 22.5,
        CO: 0.3,
        name: 'Luisenplatz',
        address: '{"streetAddress":"Luisenplatz 1"}',
        dateObserved: '2026-01-01T10:05:00Z',
      },
      units: { NO2: 'GQ' },
      relationships: {
        refDevice: 'urn:ngsi-ld:Device:9',
        refSensors: ['urn:ngsi-ld:Device:1', 'urn:ngsi-ld:Device:2'],
      },
    });
  });

  it('reads concise and keyValues entities, compacts IRIs and drops NGSI-LD Null', () => {
    const concise = toLiveEntity({
      id: 'urn:ngsi-ld:ParkingSpot:1',
      type: 'https://uri.etsi.org/ngsi-ld/default-context/ParkingSpot',
      status: 'free',
      'https://smartdatamodels.org/dataModel.Parking/occupancy': { value: 0.5, unitCode: 'P1' },
      refParkingSite: { object: 'urn:ngsi-ld:OffStreetParking:3' },
      removed: 'urn:ngsi-ld:null',
      location: point([8.6, 49.8]),
    })!;
    expect(concise.type).toBe('ParkingSpot');
    expect(concise.values).toEqual({ status: 'free', occupancy: 0.5 });
    expect(concise.units).toEqual({ occupancy: 'P1' });
    expect(concise.relationships).toEqual({ refParkingSite: 'urn:ngsi-ld:OffStreetParking:3' });
    expect(concise.location).toEqual(point([8.6, 49.8]));
    expect(concise.observedAt).toBeUndefined();
  });

  it('reads language, JSON and list properties and the default instance of a multi-attribute', () => {
    const entity = toLiveEntity({
      id: 'urn:x:1',
      type: 'Thing',
      label: { type: 'LanguageProperty', languageMap: { de: 'Platz', en: 'Square' } },
      config: { type: 'JsonProperty', json: { a: 1 } },
      readings: { type: 'ListProperty', valueList: [1, 2] },
      speed: [
        { type: 'Property', value: 50, datasetId: 'urn:ngsi-ld:Dataset:radar' },
        { type: 'Property', value: 48 },
      ],
    })!;
    expect(entity.values).toEqual({ label: 'Platz', config: '{"a":1}', readings: '[1,2]', speed: 48 });
  });

  it('rejects values that are not entities', () => {
    expect(toLiveEntity({ type: 'T' })).toBeUndefined();
    expect(toLiveEntity({ id: 5, type: 'T' })).toBeUndefined();
    expect(toLiveEntity('urn:x')).toBeUndefined();
    expect(toLiveEntity(null)).toBeUndefined();
  });

  it('reads notification data as an array or a FeatureCollection, and nothing else', () => {
    expect(readNotificationItems([{ id: 'urn:x:1', type: 'T' }])).toHaveLength(1);
    const items = readNotificationItems({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: 'urn:x:2',
          geometry: point([1, 2]),
          properties: { type: 'T', v: { type: 'Property', value: 3 } },
        },
      ],
    })!;
    expect(toLiveEntity(items[0])).toMatchObject({
      id: 'urn:x:2',
      type: 'T',
      values: { v: 3 },
      location: point([1, 2]),
    });
    expect(readNotificationItems({ data: [] })).toBeUndefined();
    expect(readNotificationItems('x')).toBeUndefined();
  });

  it('tests view boxes, across the antimeridian and for non-point geometries', () => {
    const at = (location: LiveEntity['location']): LiveEntity => ({
      id: 'i',
      type: 't',
      location,
      values: {},
      units: {},
      relationships: {},
    });
    expect(isInBoundingBox(at(point([8.65, 49.87])), [8.6, 49.8, 8.7, 49.9])).toBe(true);
    expect(isInBoundingBox(at(point([8.75, 49.87])), [8.6, 49.8, 8.7, 49.9])).toBe(false);
    expect(isInBoundingBox(at(point([8.65, 49.95])), [8.6, 49.8, 8.7, 49.9])).toBe(false);
    // 170°E to 170°W across the antimeridian.
    expect(isInBoundingBox(at(point([179, 0])), [170, -10, -170, 10])).toBe(true);
    expect(isInBoundingBox(at(point([-175, 0])), [170, -10, -170, 10])).toBe(true);
    expect(isInBoundingBox(at(point([0, 0])), [170, -10, -170, 10])).toBe(false);
    const line = at({
      type: 'LineString',
      coordinates: [
        [8.5, 49.85],
        [8.65, 49.85],
      ],
    });
    expect(isInBoundingBox(line, [8.6, 49.8, 8.7, 49.9])).toBe(true);
    expect(isInBoundingBox(line, [8.7, 49.8, 8.8, 49.9])).toBe(false);
    expect(isInBoundingBox(at(undefined), [8.6, 49.8, 8.7, 49.9])).toBe(false);
    expect(isInBoundingBox(at(undefined), undefined)).toBe(true);
  });
});
