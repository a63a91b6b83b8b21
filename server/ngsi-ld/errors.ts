// NGSI-LD problem types (ETSI GS CIM 009 clause 5.5.2) as ApiErrors: the app's one renderer writes them.
import { ApiError } from '../http/errors';

/** The NGSI-LD error types this broker answers with, and their HTTP statuses. */
export const NGSI_LD_ERROR_STATUS = {
  InvalidRequest: 400,
  BadRequestData: 400,
  AlreadyExists: 409,
  Conflict: 409,
  OperationNotSupported: 422,
  ResourceNotFound: 404,
  InternalError: 500,
  TooComplexQuery: 403,
  TooManyResults: 403,
  LdContextNotAvailable: 503,
  NotImplemented: 501,
  UnsupportedMediaType: 415,
  NotAcceptable: 406,
  NonexistentTenant: 404,
} as const;

/** A short NGSI-LD error type name, e.g. `BadRequestData`. */
export type NgsiLdErrorType = keyof typeof NGSI_LD_ERROR_STATUS;

/** The URI of an NGSI-LD error type. */
export function errorTypeUri(type: NgsiLdErrorType): string {
  return `https://uri.etsi.org/ngsi-ld/errors/${type}`;
}

/**
 * An ApiError with the NGSI-LD problem type and its status.
 * @param type - the short type name (`BadRequestData`, `ResourceNotFound`, ...)
 * @param detail - what was wrong, naming the offending part of the request
 * @param status - overrides the type's usual status (e.g. 413 for an oversized body)
 */
export function ngsiLdError(type: NgsiLdErrorType, detail: string, status?: number): ApiError {
  return new ApiError(status ?? NGSI_LD_ERROR_STATUS[type], detail, {
    type: errorTypeUri(type),
    title: type,
  });
}

/** Shorthand for the most common one: 400 BadRequestData. */
export function badRequestData(detail: string): ApiError {
  return ngsiLdError('BadRequestData', detail);
}

/** Shorthand for 400 InvalidRequest (malformed request, bad JSON, bad parameter syntax). */
export function invalidRequest(detail: string): ApiError {
  return ngsiLdError('InvalidRequest', detail);
}

/** Shorthand for 404 ResourceNotFound. */
export function resourceNotFound(detail: string): ApiError {
  return ngsiLdError('ResourceNotFound', detail);
}
