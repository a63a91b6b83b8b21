// Test helper: checks that a value is an NGSI-LD entity (or batch-update fragment) in the normalized representation,
// as ETSI GS CIM 009 clause 4.5 defines it. Returns the problems found, empty when valid.
import { validateGeometry } from '../../../../server/geometry';

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const META_MEMBERS = new Set([
  'type',
  'value',
  'object',
  'observedAt',
  'unitCode',
  'datasetId',
  'createdAt',
  'modifiedAt',
]);

function checkAttribute(name: string, attribute: unknown, problems: string[]): void {
  if (typeof attribute !== 'object' || attribute === null || Array.isArray(attribute)) {
    problems.push(`${name}: not an attribute object`);
    return;
  }
  const record = attribute as Record<string, unknown>;
  switch (record['type']) {
    case 'Property':
      if (!('value' in record) || record['value'] === null) problems.push(`${name}: Property without value`);
      break;
    case 'Relationship':
      if (typeof record['object'] !== 'string' || !URI.test(record['object'])) {
        problems.push(`${name}: Relationship object is not a URI`);
      }
      break;
    case 'GeoProperty':
      try {
        validateGeometry(record['value']);
      } catch (error) {
        problems.push(`${name}: GeoProperty value is not GeoJSON (${(error as Error).message})`);
      }
      break;
    default:
      problems.push(`${name}: unknown attribute type ${JSON.stringify(record['type'])}`);
  }
  if (
    'observedAt' in record &&
    (typeof record['observedAt'] !== 'string' || !DATE_TIME.test(record['observedAt']))
  ) {
    problems.push(`${name}: observedAt is not an ISO 8601 UTC date-time`);
  }
  if (
    'unitCode' in record &&
    (typeof record['unitCode'] !== 'string' || !/^[A-Z0-9]{2,3}$/.test(record['unitCode']))
  ) {
    problems.push(`${name}: unitCode is not a UN/CEFACT common code`);
  }
  for (const [member, value] of Object.entries(record)) {
    if (!META_MEMBERS.has(member)) checkAttribute(`${name}.${member}`, value, problems);
  }
}

/** The problems of a normalized NGSI-LD entity; `fragment` allows an entity with no attributes (batch update). */
export function normalizedEntityProblems(entity: unknown): string[] {
  const problems: string[] = [];
  if (typeof entity !== 'object' || entity === null || Array.isArray(entity)) return ['not an object'];
  const record = entity as Record<string, unknown>;
  if (typeof record['id'] !== 'string' || !URI.test(record['id'])) problems.push('id is not a URI');
  if (typeof record['type'] !== 'string' || record['type'] === '') problems.push('type is not a term');
  for (const [name, attribute] of Object.entries(record)) {
    if (name === 'id' || name === 'type' || name === '@context') continue;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) problems.push(`${name}: not a valid attribute name`);
    checkAttribute(name, attribute, problems);
  }
  return problems;
}
