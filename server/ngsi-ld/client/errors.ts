// The one error of the NGSI-LD client: what went wrong as a `kind` the caller can branch on, matched on the problem
// type's last path segment (Scorpio's trailing space, 1.3 vs 1.8 URIs, broker-specific names) with the HTTP status as
// the fallback, and a short human reason as the message.

/** What kind of failure a broker call met. */
export type NgsiLdErrorKind =
  /** No usable answer now: refused connection, time-out, 5xx, 429. */
  | 'unavailable'
  /** The server answers, but not as an NGSI-LD broker: HTML, broken JSON, unexpected shapes, odd statuses. */
  | 'incompatible'
  /** The entity, subscription or tenant does not exist. */
  | 'not-found'
  /** The broker refused the request as malformed (BadRequestData, InvalidRequest, …). */
  | 'bad-request'
  /** More results than the broker (or the client's cap) allows. */
  | 'too-many-results'
  /** Missing or refused credentials (401, AccessDenied). */
  | 'unauthorized'
  /** The entity or subscription exists already. */
  | 'conflict'
  /** The broker does not implement the operation (501, OperationNotSupported), or the client knows it cannot. */
  | 'not-implemented';

/** A failed call to an NGSI-LD broker (or the temporal service). Never branch on the message; use `kind`. */
export class NgsiLdClientError extends Error {
  override name = 'NgsiLdClientError';
  constructor(
    message: string,
    readonly kind: NgsiLdErrorKind,
    /** The HTTP status, when the broker answered. */
    readonly status?: number,
    /** The trimmed last path segment of the problem type (`ResourceNotFound`, `TooManyResults`), when there was one. */
    readonly problemType?: string,
    /** The parsed error body, when there was one (raw problem details, for discovery). */
    readonly body?: unknown,
  ) {
    super(message);
  }

  /** What a viewer is told: `unavailable` (try again later) or `incompatible` (it answers, but not usably). */
  get state(): 'unavailable' | 'incompatible' {
    return this.kind === 'unavailable' ? 'unavailable' : 'incompatible';
  }
}

/** Problem type suffixes (the spec's and the brokers' own spellings) and the kind each means. */
const KIND_OF_PROBLEM: Record<string, NgsiLdErrorKind> = {
  resourcenotfound: 'not-found',
  nonexistenttenant: 'not-found',
  // Orion-LD and Scorpio name the missing tenant differently from the spec.
  nonexistingtenant: 'not-found',
  tenantnotfound: 'not-found',
  badrequestdata: 'bad-request',
  invalidrequest: 'bad-request',
  toocomplexquery: 'bad-request',
  ldcontextnotavailable: 'bad-request',
  unsupportedmediatype: 'bad-request',
  'unsupported media type': 'bad-request',
  notacceptable: 'bad-request',
  unprocessableentity: 'bad-request',
  toomanyresults: 'too-many-results',
  accessdenied: 'unauthorized',
  alreadyexists: 'conflict',
  conflict: 'conflict',
  operationnotsupported: 'not-implemented',
  notimplemented: 'not-implemented',
  internalerror: 'unavailable',
  badgateway: 'unavailable',
  gatewaytimeout: 'unavailable',
};

/** The trimmed last path segment of a problem type URI, or undefined when the body has none. */
export function problemTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  const segments = type.trim().split(/[/#]/);
  return segments[segments.length - 1]?.trim() || undefined;
}

/** The kind of an HTTP error answer: its problem type's suffix first, its status otherwise. */
export function kindOfAnswer(status: number, problemType: string | undefined): NgsiLdErrorKind {
  const known = problemType ? KIND_OF_PROBLEM[problemType.toLowerCase()] : undefined;
  if (known) return known;
  if (status === 429 || status >= 500) return status === 501 ? 'not-implemented' : 'unavailable';
  if (status === 401) return 'unauthorized';
  // A bare 403 is a refusal of the credentials; Scorpio and Stellio's 403 TooManyResults carry their type.
  if (status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'bad-request';
  if (status === 413) return 'too-many-results';
  return 'incompatible';
}

const MAX_REASON = 200;

/** ` (title: detail)` of a problem-details body, shortened, or '' when it has neither. */
export function describeProblem(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const { title, detail } = body as { title?: unknown; detail?: unknown };
  const text = [title, detail].filter((part) => typeof part === 'string' && part !== '').join(': ');
  return text ? ` (${text.slice(0, MAX_REASON)})` : '';
}

/** A short description of what a JSON value is, for error messages. */
export function describeShape(value: unknown): string {
  if (value === undefined) return 'an empty body';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 5);
    return `an object with ${keys.length ? keys.join(', ') : 'no members'}`;
  }
  return `a ${typeof value}`;
}

/** Whether an error is a client error of one of the given kinds. */
export function isNgsiLdError(error: unknown, ...kinds: NgsiLdErrorKind[]): error is NgsiLdClientError {
  return error instanceof NgsiLdClientError && (kinds.length === 0 || kinds.includes(error.kind));
}
