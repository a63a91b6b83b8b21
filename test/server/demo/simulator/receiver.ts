// Test helper: a real HTTP server on 127.0.0.1 that records NGSI-LD batch requests and answers them like a broker
// would (201 for upserts, 204 for updates, or whatever a test asks for).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Responder = (request: RecordedRequest) => { status: number; body?: unknown } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  requests: RecordedRequest[];
  respond: Responder;
  close(): Promise<void>;
}

const DEFAULT_RESPONDER: Responder = (request) => ({ status: request.path.includes('/upsert') ? 201 : 204 });

/** Starts a receiver, on `port` when given (to bring a "dead" broker back). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: Receiver = {
    url: '',
    port: 0,
    requests: [],
    respond: DEFAULT_RESPONDER,
    close: async () => {
      for (const response of hanging) response.destroy();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: incoming.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
      receiver.requests.push(request);
      const answer = receiver.respond(request);
      if (answer === 'hang') {
        hanging.add(response);
        return;
      }
      response.statusCode = answer.status;
      if (answer.body !== undefined) {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(answer.body));
      } else {
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/ngsi-ld/v1`;
  return receiver;
}

/** Waits until `condition` holds, polling every 20 ms. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
