// The client settings of Plaza's configured broker (server side only: it reads PlazaConfig, never process.env).
import type { PlazaConfig } from '../../config';
import { NGSI_LD_BASE_PATH } from '../broker/module';
import type { NgsiLdClientOptions } from './client';

/**
 * Where and how to reach the configured broker: `NGSI_LD_URL`, or the embedded broker below `baseUrl`.
 * @param baseUrl Plaza's own base URL (known once it listens), for the embedded broker
 */
export function brokerConnection(
  config: PlazaConfig,
  baseUrl?: string,
): Pick<
  NgsiLdClientOptions,
  'url' | 'tenant' | 'context' | 'token' | 'apiKey' | 'apiKeyHeader' | 'temporalUrl'
> {
  return {
    url: config.ngsiLd.url ?? `${baseUrl ?? ''}${NGSI_LD_BASE_PATH}`,
    tenant: config.ngsiLd.tenant,
    context: config.ngsiLd.context,
    token: config.ngsiLd.token,
    apiKey: config.ngsiLd.apiKey,
    apiKeyHeader: config.ngsiLd.apiKeyHeader,
    temporalUrl: config.ngsiLd.temporalUrl,
  };
}
