// @context handling: an offline core context, fetched-and-cached user contexts, and per-context term tables so that
// ordinary requests expand and compact names with two Map look-ups instead of running the JSON-LD algorithms.
import jsonld from 'jsonld';
import { CORE_CONTEXT_DOCUMENT, CORE_CONTEXT_URL, isCoreContextUrl } from './core-context';
import { badRequestData, ngsiLdError } from './errors';

/** A JSON-LD document a context URL resolves to. */
export type JsonLdDocument = { '@context': unknown } | Record<string, unknown>;

/** Options of {@link ContextResolver}. */
export interface ContextResolverOptions {
  /** Milliseconds a user context fetch may take (default 3000). */
  fetchTimeoutMs?: number;
  /** Documents served for fixed URLs without fetching (tests, air-gapped installs). */
  documents?: Record<string, JsonLdDocument>;
  /** How long a fetched context stays cached, ms (default 1 hour). */
  cacheTtlMs?: number;
  /** How long a failed fetch is remembered so that it does not block every request (default 30 s). */
  failureTtlMs?: number;
  /** Most distinct @context values kept with their term tables (default 256). */
  maxContexts?: number;
}

/** jsonld.js's context processing API (public, but missing from @types/jsonld). */
type ProcessContext = (
  activeContext: unknown,
  localContext: unknown,
  options: Record<string, unknown>,
) => Promise<unknown>;
const processContext = (jsonld as unknown as { processContext: ProcessContext }).processContext.bind(jsonld);

/** The Data Integrity context that the core context's `ngsildproof` term scopes; only that term uses it. */
const DATA_INTEGRITY_CONTEXT_URL = 'https://w3id.org/security/data-integrity/v2';

/** The term table of one effective @context (user contexts followed by the core context). */
export class NgsiLdContext {
  readonly #termToIri = new Map<string, string>();
  readonly #iriToTerm = new Map<string, string>();
  readonly #prefixes: Array<[string, string]> = [];
  readonly #vocab: string | undefined;
  /** Compacted IRIs seen so far: responses compact the same few names again and again. */
  readonly #compacted = new Map<string, string>();

  constructor(
    /** The @context value as the request gave it (undefined: core only). */
    readonly value: unknown,
    /** The URL to name in a response Link header. */
    readonly linkUrl: string,
    activeContext: { mappings: Map<string, Record<string, unknown>>; '@vocab'?: string },
  ) {
    this.#vocab = activeContext['@vocab'];
    const candidates: Array<[string, string]> = [];
    for (const [term, definition] of activeContext.mappings) {
      const iri = definition?.['@id'];
      if (typeof iri !== 'string' || definition.reverse) continue;
      this.#termToIri.set(term, iri);
      if (definition._prefix) this.#prefixes.push([term, iri]);
      if (!iri.startsWith('@')) candidates.push([term, iri]);
    }
    // Prefer the shortest term, then the lexicographically least, as JSON-LD's term selection does for plain terms.
    candidates.sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    for (const [term, iri] of candidates) if (!this.#iriToTerm.has(iri)) this.#iriToTerm.set(iri, term);
  }

  /** Expands a term (or compact IRI, or absolute IRI) to an IRI. */
  expandTerm(term: string): string {
    const mapped = this.#termToIri.get(term);
    if (mapped !== undefined) return mapped;
    const colon = term.indexOf(':');
    if (colon > 0) {
      const prefix = term.slice(0, colon);
      const suffix = term.slice(colon + 1);
      if (!suffix.startsWith('//')) {
        const prefixIri = this.#termToIri.get(prefix);
        if (prefixIri !== undefined) return prefixIri + suffix;
      }
      return term;
    }
    return (this.#vocab ?? '') + term;
  }

  /** Compacts an IRI to the term this context names it with, a vocab-relative name, a compact IRI, or itself. */
  compactIri(iri: string): string {
    let compacted = this.#compacted.get(iri);
    if (compacted === undefined) {
      compacted = this.#compactUncached(iri);
      if (this.#compacted.size >= 10_000) this.#compacted.clear();
      this.#compacted.set(iri, compacted);
    }
    return compacted;
  }

  #compactUncached(iri: string): string {
    const term = this.#iriToTerm.get(iri);
    if (term !== undefined) return term;
    if (this.#vocab && iri.startsWith(this.#vocab) && iri.length > this.#vocab.length) {
      const rest = iri.slice(this.#vocab.length);
      // Only when the short form would expand back to the same IRI.
      if (!this.#termToIri.has(rest) && !rest.includes(':')) return rest;
    }
    for (const [prefix, prefixIri] of this.#prefixes) {
      if (iri.startsWith(prefixIri) && iri.length > prefixIri.length) {
        const candidate = `${prefix}:${iri.slice(prefixIri.length)}`;
        if (!this.#termToIri.has(candidate)) return candidate;
      }
    }
    return iri;
  }

  /** The @context value to put in a body: the request's own context, else the core context URL. */
  bodyContext(): unknown {
    return this.value === undefined ? CORE_CONTEXT_URL : this.value;
  }

  /** The Link header announcing this context. */
  linkHeader(): string {
    return `<${this.linkUrl}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
  }
}

interface CachedDocument {
  document?: unknown;
  error?: string;
  expires: number;
}

/**
 * Resolves @context values to {@link NgsiLdContext} term tables, with the core context offline and user contexts
 * fetched once (with a timeout) and cached.
 */
export class ContextResolver {
  readonly #options: Required<Omit<ContextResolverOptions, 'documents'>> & {
    documents: Record<string, JsonLdDocument>;
  };
  readonly #documents = new Map<string, CachedDocument>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #contexts = new Map<string, Promise<NgsiLdContext>>();
  #initialContext: Promise<unknown> | undefined;

  constructor(options: ContextResolverOptions = {}) {
    this.#options = {
      fetchTimeoutMs: options.fetchTimeoutMs ?? 3000,
      documents: options.documents ?? {},
      cacheTtlMs: options.cacheTtlMs ?? 3_600_000,
      failureTtlMs: options.failureTtlMs ?? 30_000,
      maxContexts: options.maxContexts ?? 256,
    };
  }

  /**
   * The term table for a request's @context (undefined: the core context alone).
   * @throws ApiError 400 BadRequestData for an invalid context, 503 LdContextNotAvailable when one cannot be loaded
   */
  async resolve(value: unknown): Promise<NgsiLdContext> {
    const key = value === undefined ? '' : JSON.stringify(value);
    let cached = this.#contexts.get(key);
    if (cached) {
      // Refresh recency so that the most used contexts stay.
      this.#contexts.delete(key);
      this.#contexts.set(key, cached);
      return cached;
    }
    cached = this.#build(value);
    this.#contexts.set(key, cached);
    cached.catch(() => this.#contexts.delete(key));
    if (this.#contexts.size > this.#options.maxContexts) {
      const oldest = this.#contexts.keys().next().value;
      if (oldest !== undefined) this.#contexts.delete(oldest);
    }
    return cached;
  }

  async #build(value: unknown): Promise<NgsiLdContext> {
    const userContexts = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const [index, entry] of userContexts.entries()) {
      if (
        typeof entry !== 'string' &&
        (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      ) {
        throw badRequestData(
          `@context entry ${index} must be a URL or an object, not ${JSON.stringify(entry)}`,
        );
      }
    }
    this.#initialContext ??= processContext(null, null, {});
    const initial = await this.#initialContext;
    let active;
    try {
      active = await processContext(initial, [...userContexts, CORE_CONTEXT_URL], {
        documentLoader: (url: string) => this.#loadDocument(url),
      });
    } catch (error) {
      throw this.#explain(error);
    }
    const firstUrl =
      userContexts.length === 1 && typeof userContexts[0] === 'string' ? userContexts[0] : undefined;
    return new NgsiLdContext(value, firstUrl ?? CORE_CONTEXT_URL, active as never);
  }

  #explain(error: unknown): Error {
    if ((error as { status?: number }).status !== undefined) return error as Error;
    const details = (error as { details?: { code?: string; cause?: unknown; url?: string } }).details;
    const cause = details?.cause as { status?: number } | undefined;
    if (cause?.status !== undefined) return cause as unknown as Error;
    const message = (error as Error).message ?? String(error);
    if (details?.code === 'loading remote context failed' || details?.code === 'loading document failed') {
      return ngsiLdError(
        'LdContextNotAvailable',
        `the @context ${details.url ?? ''} could not be loaded: ${message}`,
      );
    }
    return badRequestData(`invalid @context: ${message}${details?.code ? ` (${details.code})` : ''}`);
  }

  async #loadDocument(url: string): Promise<{ document: unknown; documentUrl: string; contextUrl: null }> {
    if (isCoreContextUrl(url)) return { document: CORE_CONTEXT_DOCUMENT, documentUrl: url, contextUrl: null };
    if (url === DATA_INTEGRITY_CONTEXT_URL)
      return { document: { '@context': {} }, documentUrl: url, contextUrl: null };
    const fixed = this.#options.documents[url];
    if (fixed) return { document: fixed, documentUrl: url, contextUrl: null };
    const now = Date.now();
    const cached = this.#documents.get(url);
    if (cached && cached.expires > now) {
      if (cached.error !== undefined) {
        throw ngsiLdError(
          'LdContextNotAvailable',
          `the @context ${url} could not be loaded: ${cached.error}`,
        );
      }
      return { document: cached.document, documentUrl: url, contextUrl: null };
    }
    let pending = this.#inFlight.get(url);
    if (!pending) {
      pending = this.#fetchDocument(url).finally(() => this.#inFlight.delete(url));
      this.#inFlight.set(url, pending);
    }
    const document = await pending;
    return { document, documentUrl: url, contextUrl: null };
  }

  async #fetchDocument(url: string): Promise<unknown> {
    if (!/^https?:\/\//.test(url)) {
      throw badRequestData(`@context ${url} is not an http(s) URL`);
    }
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/ld+json, application/json' },
        signal: AbortSignal.timeout(this.#options.fetchTimeoutMs),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const document = (await response.json()) as unknown;
      if (typeof document !== 'object' || document === null || !('@context' in document)) {
        throw new Error('the document has no @context member');
      }
      this.#documents.set(url, { document, expires: Date.now() + this.#options.cacheTtlMs });
      return document;
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${this.#options.fetchTimeoutMs} ms`
          : ((error as Error).message ?? String(error));
      this.#documents.set(url, { error: reason, expires: Date.now() + this.#options.failureTtlMs });
      throw ngsiLdError('LdContextNotAvailable', `the @context ${url} could not be loaded: ${reason}`);
    }
  }
}

/**
 * Parses a JSON-LD context Link header (`<url>; rel="http://www.w3.org/ns/json-ld#context"`).
 * @returns the URL, or undefined when the header names no context
 * @throws ApiError 400 when the header is malformed
 */
export function parseContextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) throw badRequestData(`Link header '${header}' is not <url>; rel=...`);
    if (/rel\s*=\s*"?http:\/\/www\.w3\.org\/ns\/json-ld#context"?/.test(match[2])) {
      const url = match[1].trim();
      if (!/^[a-z][a-z0-9+.-]*:/i.test(url))
        throw badRequestData(`Link header context '${url}' is not an absolute URL`);
      return url;
    }
  }
  return undefined;
}
