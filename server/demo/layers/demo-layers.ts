// The demo district's public 2D layers (districts, building footprints, parks, trees, bike lanes), written by Plaza
// into one GeoPackage that the OGC API serves as its default collections.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDemoDistrict } from '../city/district';
import type { DemoDistrict } from '../city/types';
import { writeGeoPackage, type GeoPackageLayer } from '../../providers/geopackage-writer';

/** File name of the demo layers; the version changes whenever the layer schema does, forcing a rewrite. */
export const DEMO_LAYERS_FILE = 'demo-layers-v1.gpkg';

/** A demo layer as the OGC API lists it. */
export interface DemoLayerInfo {
  /** Collection id. */
  id: string;
  /** GeoPackage table. */
  table: string;
  title: string;
  description: string;
  style: {
    fillColor?: string;
    strokeColor?: string;
    strokeWidth?: number;
    extrudeProperty?: string;
    pointSize?: number;
  };
}

/** The demo layers, in the order the viewer lists them. */
export const DEMO_LAYERS: DemoLayerInfo[] = [
  {
    id: 'districts',
    table: 'districts',
    title: 'Districts',
    description: 'Administrative quarters of the demo city.',
    style: { fillColor: '#4a90d922', strokeColor: '#1f5fa8', strokeWidth: 2 },
  },
  {
    id: 'buildings',
    table: 'buildings',
    title: 'Building footprints',
    description:
      'Footprints of the demo city buildings with address, height, storeys, roof type, function and year of construction.',
    style: {
      fillColor: '#d9a05bcc',
      strokeColor: '#7a4b12',
      strokeWidth: 1,
      extrudeProperty: 'measured_height',
    },
  },
  {
    id: 'parks',
    table: 'parks',
    title: 'Parks',
    description: 'Public green spaces.',
    style: { fillColor: '#5cb85c88', strokeColor: '#2d6a2d', strokeWidth: 1 },
  },
  {
    id: 'trees',
    table: 'trees',
    title: 'Street trees',
    description: 'Trees along the streets with species and height.',
    style: { fillColor: '#2e7d32', pointSize: 6 },
  },
  {
    id: 'bike-lanes',
    table: 'bike_lanes',
    title: 'Bike lanes',
    description: 'Streets with a marked bike lane.',
    style: { strokeColor: '#e91e63', strokeWidth: 3 },
  },
];

/** The GeoPackage layers of a demo district (geometries in EPSG:4326, longitude/latitude). */
export function createDemoLayers(district: DemoDistrict): GeoPackageLayer[] {
  const info = (table: string) => DEMO_LAYERS.find((layer) => layer.table === table)!;
  const polygon = (ring: [number, number][]) => ({ type: 'Polygon' as const, coordinates: [ring] });
  return [
    {
      name: 'districts',
      title: info('districts').title,
      description: info('districts').description,
      geometryType: 'POLYGON',
      columns: [
        { name: 'id', type: 'TEXT' },
        { name: 'name', type: 'TEXT' },
      ],
      features: district.districts.map((area) => ({
        geometry: polygon(area.polygon),
        properties: { id: area.id, name: area.name },
      })),
    },
    {
      name: 'buildings',
      title: info('buildings').title,
      description: info('buildings').description,
      geometryType: 'POLYGON',
      columns: [
        { name: 'id', type: 'TEXT' },
        { name: 'name', type: 'TEXT' },
        { name: 'street', type: 'TEXT' },
        { name: 'house_number', type: 'TEXT' },
        { name: 'postal_code', type: 'TEXT' },
        { name: 'city', type: 'TEXT' },
        { name: 'measured_height', type: 'REAL' },
        { name: 'ground_height', type: 'REAL' },
        { name: 'storeys', type: 'INTEGER' },
        { name: 'roof_type', type: 'TEXT' },
        { name: 'function_code', type: 'TEXT' },
        { name: 'function', type: 'TEXT' },
        { name: 'year_of_construction', type: 'INTEGER' },
        { name: 'district_id', type: 'TEXT' },
        { name: 'block_id', type: 'TEXT' },
      ],
      features: district.buildings.map((building) => ({
        geometry: polygon(building.footprintLonLat),
        properties: {
          id: building.id,
          name: building.name ?? null,
          street: building.address.street,
          house_number: building.address.houseNumber,
          postal_code: building.address.postalCode,
          city: building.address.city,
          measured_height: building.measuredHeight,
          ground_height: building.groundHeight,
          storeys: building.storeysAboveGround,
          roof_type: building.roofType,
          function_code: building.function.code,
          function: building.function.label,
          year_of_construction: building.yearOfConstruction,
          district_id: building.districtId,
          block_id: building.blockId,
        },
      })),
    },
    {
      name: 'parks',
      title: info('parks').title,
      description: info('parks').description,
      geometryType: 'POLYGON',
      columns: [
        { name: 'id', type: 'TEXT' },
        { name: 'name', type: 'TEXT' },
      ],
      features: district.parks.map((area) => ({
        geometry: polygon(area.polygon),
        properties: { id: area.id, name: area.name },
      })),
    },
    {
      name: 'trees',
      title: info('trees').title,
      description: info('trees').description,
      geometryType: 'POINT',
      columns: [
        { name: 'id', type: 'TEXT' },
        { name: 'species', type: 'TEXT' },
        { name: 'height', type: 'REAL' },
      ],
      features: district.trees.map((tree) => ({
        geometry: { type: 'Point', coordinates: tree.position },
        properties: { id: tree.id, species: tree.species, height: tree.heightMetres },
      })),
    },
    {
      name: 'bike_lanes',
      title: info('bike_lanes').title,
      description: info('bike_lanes').description,
      geometryType: 'LINESTRING',
      columns: [
        { name: 'id', type: 'TEXT' },
        { name: 'name', type: 'TEXT' },
        { name: 'street_width', type: 'REAL' },
      ],
      features: district.streets
        .filter((street) => street.hasBikeLane)
        .map((street) => ({
          geometry: { type: 'LineString', coordinates: street.centerline },
          properties: { id: street.id, name: street.name, street_width: street.widthMetres },
        })),
    },
  ];
}

/** Options of {@link ensureDemoLayers}. */
export interface EnsureDemoLayersOptions {
  /** Plaza's data folder; the file is `<dataDirectory>/layers/demo-layers-v1[-count-seed].gpkg`. */
  dataDirectory: string;
  /** Buildings in the demo district (default: the generator's default). */
  buildingCount?: number;
  seed?: number;
}

/**
 * Makes sure the demo layers GeoPackage exists, generating it from the demo district when missing.
 * @returns the path of the .gpkg
 */
export async function ensureDemoLayers(options: EnsureDemoLayersOptions): Promise<string> {
  const variant =
    options.buildingCount === undefined && options.seed === undefined
      ? ''
      : `-${options.buildingCount ?? 'default'}-${options.seed ?? 'default'}`;
  const path = join(options.dataDirectory, 'layers', DEMO_LAYERS_FILE.replace('.gpkg', `${variant}.gpkg`));
  if (existsSync(path)) return path;
  const district = createDemoDistrict({ buildingCount: options.buildingCount, seed: options.seed });
  writeGeoPackage(path, createDemoLayers(district));
  return path;
}
