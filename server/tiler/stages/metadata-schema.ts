// Stage: derive the EXT_structural_metadata schema from the attributes actually present in the data.
import type { AttributeValue } from '../model';

/** One property of the derived class. */
export interface SchemaProperty {
  /** Identifier used in the schema (letters, digits, underscore). */
  identifier: string;
  /** The attribute's name in the source data. */
  sourceName: string;
  type: 'STRING' | 'INT32' | 'FLOAT64';
}

/** The schema shared by every tile of one conversion. */
export interface MetadataSchema {
  classIdentifier: string;
  properties: SchemaProperty[];
  /** The JSON object written into tileset.json and each GLB. */
  json: Record<string, unknown>;
}

const MAXIMUM_PROPERTIES = 256;
export const INT32_NO_DATA = -2147483648;
export const FLOAT64_NO_DATA = -1e38;
/** Properties every feature has, in this order, before the data's own attributes. */
const FIXED: Array<[string, SchemaProperty['type'], string]> = [
  ['id', 'STRING', 'Persistent id (gml:id or CityJSON key)'],
  ['parentId', 'STRING', 'Id of the object this part belongs to'],
  ['type', 'STRING', 'CityGML class'],
  ['lod', 'INT32', 'Level of detail shown'],
];

interface Statistics {
  numeric: boolean;
  integer: boolean;
}

/** A collector's observations, as plain data (structured-clonable). */
export interface SchemaSnapshot {
  statistics: Array<[string, Statistics]>;
  dropped: number;
}

/** Collects attribute names and value types while objects stream past. */
export class SchemaCollector {
  private readonly statistics = new Map<string, Statistics>();
  dropped = 0;

  /** Records the attributes of one object. */
  observe(attributes: Record<string, AttributeValue>): void {
    for (const name in attributes) {
      const value = attributes[name];
      let entry = this.statistics.get(name);
      if (!entry) {
        if (this.statistics.size >= MAXIMUM_PROPERTIES) {
          this.dropped++;
          continue;
        }
        entry = { numeric: true, integer: true };
        this.statistics.set(name, entry);
      }
      if (typeof value !== 'number') {
        entry.numeric = false;
        entry.integer = false;
      } else if (!Number.isInteger(value) || Math.abs(value) > 2147483647) entry.integer = false;
    }
  }

  /** What was observed, in first-seen order (to merge the collectors of parallel workers). */
  snapshot(): SchemaSnapshot {
    return { statistics: [...this.statistics], dropped: this.dropped };
  }

  /** Adds another collector's observations after this one's (attribute order: this one's first). */
  merge(snapshot: SchemaSnapshot): void {
    this.dropped += snapshot.dropped;
    for (const [name, other] of snapshot.statistics) {
      const entry = this.statistics.get(name);
      if (entry) {
        entry.numeric &&= other.numeric;
        entry.integer &&= other.integer;
      } else if (this.statistics.size >= MAXIMUM_PROPERTIES) this.dropped++;
      else this.statistics.set(name, { ...other });
    }
  }

  /** Builds the schema. */
  build(): MetadataSchema {
    const used = new Set<string>();
    const properties: SchemaProperty[] = [];
    const jsonProperties: Record<string, unknown> = {};
    const add = (sourceName: string, type: SchemaProperty['type'], description?: string) => {
      let identifier = sourceName.replace(/[^A-Za-z0-9_]/g, '_');
      if (!/^[A-Za-z_]/.test(identifier)) identifier = `_${identifier}`;
      let candidate = identifier;
      for (let suffix = 2; used.has(candidate); suffix++) candidate = `${identifier}_${suffix}`;
      used.add(candidate);
      properties.push({ identifier: candidate, sourceName, type });
      const property: Record<string, unknown> = {
        name: sourceName,
        type: type === 'STRING' ? 'STRING' : 'SCALAR',
      };
      if (type !== 'STRING') property.componentType = type;
      if (description) property.description = description;
      if (sourceName === 'id') property.required = true;
      else property.noData = type === 'STRING' ? '' : type === 'INT32' ? INT32_NO_DATA : FLOAT64_NO_DATA;
      jsonProperties[candidate] = property;
    };
    for (const [name, type, description] of FIXED) add(name, type, description);
    for (const [name, entry] of this.statistics) {
      if (FIXED.some(([fixed]) => fixed === name)) continue;
      add(name, entry.integer ? 'INT32' : entry.numeric ? 'FLOAT64' : 'STRING');
    }
    return {
      classIdentifier: 'cityObject',
      properties,
      json: {
        id: 'plaza_city_model',
        classes: { cityObject: { name: 'City object', properties: jsonProperties } },
      },
    };
  }
}

/** The value of a property for one object, with the fixed properties filled from the object itself. */
export function propertyValue(
  property: SchemaProperty,
  object: {
    id: string;
    parentId?: string;
    type: string;
    lod: number;
    attributes: Record<string, AttributeValue>;
  },
): AttributeValue | undefined {
  switch (property.sourceName) {
    case 'id':
      return object.id;
    case 'parentId':
      return object.parentId;
    case 'type':
      return object.type;
    case 'lod':
      return object.lod;
    default:
      return object.attributes[property.sourceName];
  }
}
