import { describe, expect, it } from 'vitest';
import { CORE_CONTEXT_DOCUMENT, isCoreContextUrl } from '../../../server/ngsi-ld/core-context';
import { readShared } from './helpers';

describe('core-context', () => {
  const published = readShared('core-context/ngsi-ld-core-context-v1.9.jsonld')['@context'] as Record<
    string,
    unknown
  >;
  const ours = CORE_CONTEXT_DOCUMENT['@context'] as Record<string, unknown>;

  it('has every term of the published v1.9 core context', () => {
    expect(Object.keys(published)).toHaveLength(212);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(published).sort());
  });

  it.each(Object.keys(readShared('core-context/ngsi-ld-core-context-v1.9.jsonld')['@context'] as object))(
    'defines %s as the published context does',
    (term) => {
      expect(ours[term]).toEqual(published[term]);
    },
  );

  it.each([
    'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
    'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld',
    'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld',
    'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld',
  ])('recognises %s as a core context URL', (url) => {
    expect(isCoreContextUrl(url)).toBe(true);
  });

  it('does not take other URLs for the core context', () => {
    expect(isCoreContextUrl('https://uri.etsi.org/ngsi-ld/v1/other.jsonld')).toBe(false);
    expect(isCoreContextUrl('https://example.org/ngsi-ld-core-context.jsonld')).toBe(false);
  });
});
