// Test support for the embedded broker: a real Plaza app on 127.0.0.1:0 with the broker module, a temporary data
// folder, and offline @context documents for the ETSI suite and Smart Data Models URLs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../../server/config';
import { createApp } from '../../../server/http/app';
import { createNgsiLdBrokerModule, type NgsiLdBrokerOptions } from '../../../server/ngsi-ld';
import type { EmbeddedBrokerServices } from '../../../server/ngsi-ld/broker/in-process';

/** The shared test data (never copied into the repository). */
export const SHARED_DATA = resolve('..', 'shared', 'data', 'ngsi-ld');

export function readShared(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SHARED_DATA, path), 'utf8')) as Record<string, unknown>;
}

export const ETSI_COMPOUND_CONTEXT =
  'https://raw.githubusercontent.com/marek-mraz/ngsi-ld-test-suite/main/resources/jsonld-contexts/ngsi-ld-test-suite-compound.jsonld';
export const ETSI_SUITE_CONTEXT =
  'https://raw.githubusercontent.com/marek-mraz/ngsi-ld-test-suite/main/resources/jsonld-contexts/ngsi-ld-test-suite.jsonld';
export const ETSI_NAMESPACE = 'https://ngsi-ld-test-suite/context#';

/** The suite's own context has no local copy: its terms expand to ETSI_NAMESPACE (types expectations show so). */
const ETSI_TERMS = [
  'Building',
  'Vehicle',
  'name',
  'subCategory',
  'airQualityLevel',
  'almostFull',
  'brandName',
  'isParked',
  'providedBy',
  'fuelLevel',
  'speed',
  'vocabProperty',
];

/** Offline documents: the compound context from the shared data, a stub for the suite context, SDM contexts. */
export function testContextDocuments(): Record<string, { '@context': unknown }> {
  return {
    [ETSI_COMPOUND_CONTEXT]: readShared(
      'etsi-ngsi-ld-test-suite/resources/jsonld-contexts/ngsi-ld-test-suite-compound.jsonld',
    ) as {
      '@context': unknown;
    },
    [ETSI_SUITE_CONTEXT]: {
      '@context': Object.fromEntries(ETSI_TERMS.map((term) => [term, `${ETSI_NAMESPACE}${term}`])),
    },
    'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld': {
      '@context': { '@vocab': 'https://smartdatamodels.org/dataModel.Environment/' },
    },
    'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld': {
      '@context': { '@vocab': 'https://smartdatamodels.org/dataModel.Parking/' },
    },
  };
}

export interface TestBroker {
  url: string;
  base: string;
  directory: string;
  /** The broker's services, for in-process readers. */
  services(): EmbeddedBrokerServices;
  close(removeData?: boolean): Promise<void>;
}

/** Starts Plaza with only the broker module, on a fresh (or given) data folder. */
export async function startTestBroker(
  options: NgsiLdBrokerOptions & {
    directory?: string;
    maxLimit?: number;
    historyRetentionDays?: number;
  } = {},
): Promise<TestBroker> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'plaza-broker-'));
  const config = parseConfig({
    DATA_DIR: directory,
    PORT: '0',
    HOST: '127.0.0.1',
    NGSI_LD_MAX_LIMIT: String(options.maxLimit ?? 1000),
    NGSI_LD_HISTORY_RETENTION_DAYS: String(options.historyRetentionDays ?? 30),
  });
  const module = createNgsiLdBrokerModule(config, {
    ...options,
    directory: join(directory, 'ngsi-ld'),
    contexts: { documents: testContextDocuments(), fetchTimeoutMs: 1000, ...options.contexts },
  });
  const app = await createApp(config, { modules: [module], logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    base: `${url}/ngsi-ld/v1`,
    directory,
    services: () => module.services()!,
    async close(removeData = true) {
      await app.close();
      if (removeData) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A Link header naming a context. */
export function linkTo(url: string): string {
  return `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
}

/** fetch + JSON body (undefined when empty). */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field in tests
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
