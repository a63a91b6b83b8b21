// Client-side errors: the server answered badly, or nobody answered. Callers branch on the class, never on text.

/** The server answered with an HTTP error; `problem` holds its problem-details body when it sent one. */
export class ResponseError extends Error {
  override name = 'ResponseError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly problem?: { title?: string; detail?: string; type?: string },
  ) {
    super(`${url} answered ${status}${problem?.detail ? `: ${problem.detail}` : ''}`);
  }
}

/** No answer: the network failed, the server is down, or the request timed out. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`no answer from ${url}: ${reason}`);
  }
}

/** Whether an error is an aborted request (a superseded or cancelled fetch), which callers usually ignore. */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * Fetches JSON, turning failures into ResponseError or NetworkError.
 * @throws ResponseError when the status is not 2xx or the body is not JSON
 * @throws NetworkError when there is no answer within `timeoutMs` (default 10 s)
 */
export async function fetchJson<T>(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<T> {
  const { timeoutMs = 10_000, signal, ...rest } = init;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { ...rest, signal: combined, headers: { accept: 'application/json', ...rest.headers } });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError(url, timeout.aborted ? `timed out after ${timeoutMs} ms` : String(error));
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ResponseError(url, response.status, { detail: 'the answer is not JSON' });
  }
  if (!response.ok) throw new ResponseError(url, response.status, body as ResponseError['problem']);
  return body as T;
}
