// Errors that carry their HTTP status and standard type, and the one place that renders them as problem details.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details as Plaza writes them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** OGC API exception code, where the OGC API defines one. */
  code?: string;
  instance?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * An error a handler throws to answer with a given status. The `type` is a URI: NGSI-LD's error types
 * (`https://uri.etsi.org/ngsi-ld/errors/BadRequestData`), or `about:blank` where no standard type fits.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    /** What went wrong, for a person; names the offending part of the request. */
    readonly detail: string,
    readonly options: {
      type?: string;
      title?: string;
      code?: string;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
  }

  /** The problem-details body for this error. */
  toProblem(instance?: string): ProblemDetails {
    return {
      type: this.options.type ?? 'about:blank',
      title: this.options.title ?? TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      ...(this.options.code ? { code: this.options.code } : {}),
      ...(instance ? { instance } : {}),
      ...this.options.extensions,
    };
  }
}

/** 400 with a message naming the offending parameter. */
export function badRequest(detail: string, code = 'InvalidParameterValue'): ApiError {
  return new ApiError(400, detail, { code });
}

/** 404 for a resource that does not exist. */
export function notFound(detail: string): ApiError {
  return new ApiError(404, detail, { code: 'NotFound' });
}

/** Whether a request prefers HTML (a browser navigating) over JSON. */
export function prefersHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  if (!accept.includes('text/html')) return false;
  const htmlIndex = accept.indexOf('text/html');
  const jsonIndex = accept.search(/application\/(?:[\w.+-]*\+)?json/);
  return jsonIndex === -1 || htmlIndex < jsonIndex;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Writes a problem as `application/problem+json`, or as a small HTML page for browsers. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemDetails,
): FastifyReply {
  reply.code(problem.status);
  if (prefersHtml(request)) {
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${problem.status} ${escapeHtml(problem.title)} · Plaza</title>` +
          `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:system-ui,sans-serif;margin:2rem">` +
          `<h1>${problem.status} ${escapeHtml(problem.title)}</h1><p>${escapeHtml(problem.detail)}</p><p><a href="/">Back to Plaza</a></p></body></html>`,
      );
  }
  return reply.type('application/problem+json').send(problem);
}

/** Maps any error thrown in a handler to problem details: ApiError as declared, Fastify's own 4xx kept, the rest 500. */
export function toProblem(error: unknown, request: FastifyRequest): ProblemDetails {
  if (error instanceof ApiError) return error.toProblem(request.url);
  const fastifyError = error as Partial<FastifyError>;
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    const detail =
      fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? `unsupported Content-Type '${request.headers['content-type'] ?? ''}'`
        : fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'request body is larger than the server accepts'
          : (fastifyError.message ?? 'bad request');
    return new ApiError(status, detail, { code: fastifyError.code }).toProblem(request.url);
  }
  return new ApiError(500, 'the server failed to answer this request; the error has been logged').toProblem(
    request.url,
  );
}
