// Request plumbing shared by the broker's routes: tenant, @context (Link header or body), parameters, content
// negotiation and the Link/@context placement of responses.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CORE_CONTEXT_URL } from '../core-context';
import { type ContextResolver, type NgsiLdContext, parseContextLink } from '../context';
import { badRequestData, invalidRequest, ngsiLdError } from '../errors';
import { DEFAULT_TENANT } from '../store';

/** What every broker request carries. */
export interface BrokerRequest {
  tenant: string;
  context: NgsiLdContext;
  /** The @context value the request gave (Link URL or body), undefined for core only. */
  contextValue: unknown;
  /** The body without its @context. */
  body: unknown;
}

/** The media type of the request body, lower-cased, without parameters. */
function bodyType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Reads tenant and @context of a request and resolves the context.
 * @throws ApiError 400 when the context is given twice or is invalid, 503 when it cannot be loaded
 */
export async function readBrokerRequest(
  request: FastifyRequest,
  contexts: ContextResolver,
): Promise<BrokerRequest> {
  const tenantHeader = request.headers['ngsild-tenant'];
  const tenant = typeof tenantHeader === 'string' ? tenantHeader.trim() : DEFAULT_TENANT;
  const link = parseContextLink(typeof request.headers.link === 'string' ? request.headers.link : undefined);
  let body = request.body;
  let contextValue: unknown = link;
  const type = bodyType(request);
  const stripContext = (item: unknown, where: string): unknown => {
    if (typeof item !== 'object' || item === null || Array.isArray(item) || !('@context' in item)) {
      if (type === 'application/ld+json')
        throw badRequestData(`${where} is application/ld+json but has no @context`);
      return item;
    }
    if (type !== 'application/ld+json') {
      throw badRequestData(
        `${where} has an @context but Content-Type is ${type || 'missing'}; send application/ld+json`,
      );
    }
    if (link !== undefined) {
      throw badRequestData(
        'the @context is given both in the Link header and in the body; give it in one place',
      );
    }
    const { '@context': value, ...rest } = item as Record<string, unknown>;
    if (contextValue !== undefined && JSON.stringify(contextValue) !== JSON.stringify(value)) {
      throw badRequestData(`${where} has an @context that differs from the other entities' in this batch`);
    }
    contextValue = value;
    return rest;
  };
  if (body !== undefined && body !== null && request.method !== 'GET' && request.method !== 'DELETE') {
    body = Array.isArray(body)
      ? body.map((item, index) => stripContext(item, `entity ${index} of the body`))
      : stripContext(body, 'the body');
  }
  const context = await contexts.resolve(contextValue);
  return { tenant, context, contextValue, body };
}

/** Query parameters as single strings; a repeated parameter is an error. */
export function readParameters(
  request: FastifyRequest,
  allowed: readonly string[],
): Record<string, string | undefined> {
  const query = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const parameters: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      throw invalidRequest(`unknown query parameter '${name}'; this endpoint takes ${allowed.join(', ')}`);
    }
    if (Array.isArray(value)) throw invalidRequest(`query parameter '${name}' is given more than once`);
    parameters[name] = value;
  }
  return parameters;
}

/** The response representations a client accepts, in order of preference. */
export type ResponseMedia = 'application/json' | 'application/ld+json' | 'application/geo+json';

/**
 * Picks the response media type from Accept.
 * @throws ApiError 406 NotAcceptable when none of json, ld+json (and geo+json where allowed) is accepted
 */
export function negotiate(request: FastifyRequest, allowGeoJson: boolean): ResponseMedia {
  const header = request.headers.accept;
  if (!header) return 'application/json';
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [media, ...parameters] = part.trim().toLowerCase().split(';');
      const quality = parameters.map((parameter) => /^\s*q=([\d.]+)/.exec(parameter)).find(Boolean);
      return { media: media.trim(), quality: quality ? Number(quality[1]) : 1, index };
    })
    .filter((range) => range.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { media } of ranges) {
    if (media === 'application/json' || media === 'application/*' || media === '*/*')
      return 'application/json';
    if (media === 'application/ld+json') return 'application/ld+json';
    if (media === 'application/geo+json' && allowGeoJson) return 'application/geo+json';
  }
  throw ngsiLdError(
    'NotAcceptable',
    `Accept '${header}' names no representation this endpoint offers (application/json, application/ld+json${allowGeoJson ? ', application/geo+json' : ''})`,
  );
}

/**
 * Sends a JSON body with the @context where the media type wants it: Link header for json, in the body for
 * ld+json (in each element of an array).
 */
export function sendCompacted(
  reply: FastifyReply,
  media: ResponseMedia,
  context: NgsiLdContext,
  body: unknown,
  status = 200,
): FastifyReply {
  reply.code(status);
  if (media === 'application/ld+json') {
    const contextValue = context.bodyContext();
    const withContext = Array.isArray(body)
      ? body.map((item) => ({ ...(item as object), '@context': contextValue }))
      : { ...(body as object), '@context': contextValue };
    return reply.type('application/ld+json').send(withContext);
  }
  // Keep a paging link (rel="next") the query set before.
  const existing = reply.getHeader('link');
  reply.header('link', existing ? `${String(existing)}, ${context.linkHeader()}` : context.linkHeader());
  return reply.type(media).send(body);
}

/** A Link header for the core context, for bodies that need no user context (errors, batch results). */
export const CORE_LINK = `<${CORE_CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
