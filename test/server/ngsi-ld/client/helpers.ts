// Test support for the NGSI-LD client: the real embedded broker in a given compatibility profile on 127.0.0.1:0, and
// a tiny scripted HTTP server for the answers no real broker gives on demand (failures, HTML, hangs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../../server/config';
import { createApp } from '../../../../server/http/app';
import { createNgsiLdBrokerModule } from '../../../../server/ngsi-ld';
import { NgsiLdClientError } from '../../../../server/ngsi-ld/client';
import type { BrokerProfileName } from '../../../../server/ngsi-ld/profiles';

export interface ProfileBroker {
  /** The NGSI-LD API root (…/ngsi-ld/v1). */
  base: string;
  close(): Promise<void>;
}

/** Starts Plaza with only the embedded broker, behaving like `profile`, on a fresh data folder. */
export async function startProfileBroker(profile: BrokerProfileName = 'standard'): Promise<ProfileBroker> {
  const directory = mkdtempSync(join(tmpdir(), 'plaza-client-'));
  const config = parseConfig({
    DATA_DIR: directory,
    PORT: '0',
    HOST: '127.0.0.1',
    NGSI_LD_PROFILE: profile,
    LOG_LEVEL: 'silent',
  });
  const app = await createApp(config, { modules: [createNgsiLdBrokerModule(config)], logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/ngsi-ld/v1`,
    async close() {
      await app.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** One request the scripted server saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface ScriptedServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A local HTTP server whose every answer is written by `answer` (which may leave a request unanswered). */
export async function startScriptedServer(
  answer: (request: http.IncomingMessage, response: http.ServerResponse, count: number) => void,
): Promise<ScriptedServer> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    request.resume();
    answer(request, response, seen.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes a JSON answer. */
export function answerJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The NgsiLdClientError a promise rejects with (the test fails when it resolves or rejects with something else). */
export async function rejection(promise: Promise<unknown>): Promise<NgsiLdClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(NgsiLdClientError);
  return error as NgsiLdClientError;
}
