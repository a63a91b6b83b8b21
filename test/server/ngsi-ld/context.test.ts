import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextResolver, parseContextLink } from '../../../server/ngsi-ld/context';
import { testContextDocuments, ETSI_COMPOUND_CONTEXT, ETSI_NAMESPACE } from './helpers';

describe('context', () => {
  let server: Server;
  let base = '';
  let contextRequests = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/ctx.jsonld') {
        contextRequests++;
        response.setHeader('content-type', 'application/ld+json');
        response.end(
          JSON.stringify({
            '@context': { Sensor: 'https://example.org/Sensor', reading: 'https://example.org/reading' },
          }),
        );
      } else if (request.url === '/slow.jsonld') {
        // Never answers: the resolver's timeout must cut it short.
      } else if (request.url === '/redefine.jsonld') {
        response.end(JSON.stringify({ '@context': { location: 'https://example.org/myLocation' } }));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('expands core terms offline and unknown terms through the default @vocab', async () => {
    const context = await new ContextResolver().resolve(undefined);
    expect(context.expandTerm('location')).toBe('https://uri.etsi.org/ngsi-ld/location');
    expect(context.expandTerm('observedAt')).toBe('https://uri.etsi.org/ngsi-ld/observedAt');
    expect(context.expandTerm('temperature')).toBe(
      'https://uri.etsi.org/ngsi-ld/default-context/temperature',
    );
    expect(context.expandTerm('ngsi-ld:foo')).toBe('https://uri.etsi.org/ngsi-ld/foo');
    expect(context.expandTerm('https://example.org/x')).toBe('https://example.org/x');
    expect(context.compactIri('https://uri.etsi.org/ngsi-ld/default-context/temperature')).toBe(
      'temperature',
    );
    expect(context.compactIri('https://uri.etsi.org/ngsi-ld/location')).toBe('location');
    expect(context.compactIri('https://example.org/x')).toBe('https://example.org/x');
  });

  it('resolves the ETSI compound context (suite terms, then core v1.8 served offline)', async () => {
    const context = await new ContextResolver({ documents: testContextDocuments() }).resolve([
      ETSI_COMPOUND_CONTEXT,
    ]);
    expect(context.expandTerm('Building')).toBe(`${ETSI_NAMESPACE}Building`);
    expect(context.compactIri(`${ETSI_NAMESPACE}Building`)).toBe('Building');
    expect(context.expandTerm('location')).toBe('https://uri.etsi.org/ngsi-ld/location');
  });

  it('fetches a user context once and caches it', async () => {
    const resolver = new ContextResolver();
    const before = contextRequests;
    const first = await resolver.resolve(`${base}/ctx.jsonld`);
    const again = await resolver.resolve([`${base}/ctx.jsonld`]);
    expect(first.expandTerm('Sensor')).toBe('https://example.org/Sensor');
    expect(again.expandTerm('reading')).toBe('https://example.org/reading');
    expect(contextRequests - before).toBe(1);
    expect(first.linkUrl).toBe(`${base}/ctx.jsonld`);
  });

  it('answers 503 LdContextNotAvailable within the timeout when a context does not come', async () => {
    const resolver = new ContextResolver({ fetchTimeoutMs: 300 });
    const started = Date.now();
    await expect(resolver.resolve(`${base}/slow.jsonld`)).rejects.toMatchObject({
      status: 503,
      options: { type: 'https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable' },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    // The failure is remembered: the next request does not wait again.
    const second = Date.now();
    await expect(
      resolver.resolve([`${base}/slow.jsonld`, { a: 'https://example.org/a' }]),
    ).rejects.toMatchObject({ status: 503 });
    expect(Date.now() - second).toBeLessThan(200);
  });

  it('answers 503 naming the URL when a context is missing', async () => {
    await expect(new ContextResolver().resolve(`${base}/missing.jsonld`)).rejects.toThrow(
      /missing\.jsonld.*HTTP 404/,
    );
  });

  it('keeps core terms when a user context redefines them (the core context comes last, clause 5.5.7)', async () => {
    const context = await new ContextResolver().resolve(`${base}/redefine.jsonld`);
    expect(context.expandTerm('location')).toBe('https://uri.etsi.org/ngsi-ld/location');
  });

  it('answers 400 for a context that is not a URL or an object', async () => {
    await expect(new ContextResolver().resolve([42])).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/@context entry 0/),
    });
    await expect(new ContextResolver().resolve({ bad: { '@id': 42 } })).rejects.toMatchObject({
      status: 400,
    });
  });

  it('reads the context URL from a Link header', () => {
    expect(
      parseContextLink(
        '<https://example.org/c.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"',
      ),
    ).toBe('https://example.org/c.jsonld');
    expect(parseContextLink('<https://example.org/x>; rel="next"')).toBeUndefined();
    expect(() => parseContextLink('https://example.org/c.jsonld')).toThrow(/Link header/);
  });
});
