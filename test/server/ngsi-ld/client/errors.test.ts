// Error kinds come from the problem type's last path segment (whatever the spec era, the broker's spelling or a
// trailing space) and from the HTTP status when the type says nothing.
import { describe, expect, it } from 'vitest';
import { kindOfAnswer, problemTypeOf } from '../../../../server/ngsi-ld/client';

describe('NgsiLdClientError kinds', () => {
  it('matches problem types on their last path segment', () => {
    // Scorpio's trailing space, the spec URI and an older era's URI without /errors/.
    expect(problemTypeOf({ type: 'https://uri.etsi.org/ngsi-ld/errors/TooManyResults ' })).toBe(
      'TooManyResults',
    );
    expect(problemTypeOf({ type: 'https://uri.etsi.org/ngsi-ld/ResourceNotFound' })).toBe('ResourceNotFound');
    expect(problemTypeOf({ type: 'Unsupported Media type' })).toBe('Unsupported Media type');
    expect(problemTypeOf({ title: 'no type' })).toBeUndefined();
    expect(problemTypeOf('text')).toBeUndefined();
  });

  it('takes the kind from the type before the status', () => {
    expect(kindOfAnswer(403, 'TooManyResults')).toBe('too-many-results');
    expect(kindOfAnswer(400, 'BadRequestData')).toBe('bad-request');
    // The three spellings of an unknown tenant (spec, Orion-LD, Scorpio).
    for (const type of ['NonexistentTenant', 'NonExistingTenant', 'TenantNotFound'])
      expect(kindOfAnswer(404, type)).toBe('not-found');
    expect(kindOfAnswer(400, 'Unsupported Media type')).toBe('bad-request');
    expect(kindOfAnswer(409, 'AlreadyExists')).toBe('conflict');
    expect(kindOfAnswer(501, 'OperationNotSupported')).toBe('not-implemented');
  });

  it('falls back on the status when the type is unknown or absent', () => {
    expect(kindOfAnswer(404, undefined)).toBe('not-found');
    expect(kindOfAnswer(401, 'SomethingElse')).toBe('unauthorized');
    expect(kindOfAnswer(403, undefined)).toBe('unauthorized');
    expect(kindOfAnswer(400, undefined)).toBe('bad-request');
    expect(kindOfAnswer(429, undefined)).toBe('unavailable');
    expect(kindOfAnswer(503, undefined)).toBe('unavailable');
    expect(kindOfAnswer(501, undefined)).toBe('not-implemented');
    expect(kindOfAnswer(418, undefined)).toBe('incompatible');
  });
});
