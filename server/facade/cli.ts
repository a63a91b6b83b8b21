// `npm run facade:upsert -- <collection> [--broker URL] [--batch-size N] [--every SECONDS]`: pushes one of the
// configured OGC collections into an NGSI-LD broker as entities, once or periodically.
import { parseArgs } from 'node:util';
import { parseConfig } from '../config';
import { buildCatalog } from '../ogc/module';
import { loadCollectionsConfig } from '../ogc/collections-config';
import { DEFAULT_UPSERT_BATCH, scheduleUpsert, upsertCollection, type UpsertResult } from './upsert';

const USAGE =
  'usage: npm run facade:upsert -- <collection> [--broker URL] [--batch-size N (1-1000, default 100)] [--every SECONDS]';

function report(result: UpsertResult): void {
  console.log(
    `upserted ${result.upserted} entities in ${result.batches} batches; ${result.errors.length} refused`,
  );
  for (const error of result.errors.slice(0, 20)) console.log(`  ${error.entityId}: ${error.detail}`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      broker: { type: 'string' },
      'batch-size': { type: 'string' },
      every: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = parseConfig();
  const brokerUrl = (
    values.broker ??
    config.ngsiLd.url ??
    `http://localhost:${config.port}/ngsi-ld/v1`
  ).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(brokerUrl)) {
    console.error(`--broker '${brokerUrl}' is not an http(s) URL\n${USAGE}`);
    return 2;
  }
  const batchSize = values['batch-size'] === undefined ? DEFAULT_UPSERT_BATCH : Number(values['batch-size']);
  const every = values.every === undefined ? undefined : Number(values.every);
  if (every !== undefined && !(every > 0)) {
    console.error(`--every '${values.every}' is not a positive number of seconds\n${USAGE}`);
    return 2;
  }
  const catalog = await buildCatalog(
    config,
    { ...loadCollectionsConfig(config.ogc.collectionsFile), tilesets: false, ngsiLdTypes: false },
    () => brokerUrl,
  );
  const entry = catalog.get(positionals[0], true);
  if (!entry || entry.kind !== 'features') {
    const known = catalog.list(true).map((item) => item.id);
    console.error(`no feature collection '${positionals[0]}'; known: ${known.join(', ')}`);
    await catalog.close();
    return 2;
  }
  const options = {
    collectionId: entry.id,
    provider: entry.provider,
    brokerUrl,
    batchSize,
    tenant: config.ngsiLd.tenant,
    token: config.ngsiLd.token,
    apiKey: config.ngsiLd.apiKey,
    apiKeyHeader: config.ngsiLd.apiKeyHeader,
  };
  if (every === undefined) {
    try {
      report(await upsertCollection(options));
      return 0;
    } finally {
      await catalog.close();
    }
  }
  scheduleUpsert(options, every, (result) => {
    if (result instanceof Error) console.error(`upsert failed: ${result.message}`);
    else report(result);
  });
  return await new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
