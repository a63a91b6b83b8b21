// Plaza's configuration: read from the environment once, validated with zod, handed to everything as a typed object.
import { z } from 'zod';
import { resolve } from 'node:path';

const ON_OFF = z
  .enum(['on', 'off', 'true', 'false', '1', '0'], { message: "expected 'on' or 'off'" })
  .transform((value) => value === 'on' || value === 'true' || value === '1');

const OPTIONAL_URL = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional());

const OPTIONAL_TEXT = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value));

/** The environment variables Plaza reads, with defaults. Names are a stable interface. */
const ENVIRONMENT_SCHEMA = z.object({
  PORT: z.coerce
    .number({ message: 'expected a number' })
    .int('expected a whole number')
    .min(0, 'expected 0-65535')
    .max(65535, 'expected 0-65535')
    .default(8080),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().trim().min(1).default('data'),
  TILESETS_DIR: z.string().trim().min(1).default('tilesets'),
  APP_DIR: z.string().trim().min(1).default('dist'),
  NGSI_LD_URL: OPTIONAL_URL.prefault(''),
  NGSI_LD_TENANT: OPTIONAL_TEXT.prefault(''),
  NGSI_LD_CONTEXT: OPTIONAL_URL.prefault(''),
  NGSI_LD_TOKEN: OPTIONAL_TEXT.prefault(''),
  NGSI_LD_TEMPORAL_URL: OPTIONAL_URL.prefault(''),
  NGSI_LD_API_KEY: OPTIONAL_TEXT.prefault(''),
  NGSI_LD_API_KEY_HEADER: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
    .default('X-API-Key'),
  NGSI_LD_HISTORY_RETENTION_DAYS: z.coerce
    .number({ message: 'expected a number' })
    .positive('expected > 0')
    .default(30),
  NGSI_LD_MAX_LIMIT: z.coerce
    .number({ message: 'expected a number' })
    .int('expected a whole number')
    .min(1)
    .max(100_000)
    .default(1000),
  NGSI_LD_PROFILE: z
    .enum(['standard', 'orion-ld', 'scorpio', 'stellio'], {
      message: "expected 'standard', 'orion-ld', 'scorpio' or 'stellio'",
    })
    .default('standard'),
  PLAZA_SIMULATOR: ON_OFF.prefault('on'),
  PLAZA_SIMULATOR_RATE: z.coerce
    .number({ message: 'expected a number' })
    .positive('expected > 0')
    .max(100_000)
    .default(5),
  PLAZA_LIVE_MODE: z
    .enum(['subscription', 'polling'], { message: "expected 'subscription' or 'polling'" })
    .default('subscription'),
  PLAZA_LIVE_CHECK_SECONDS: z.coerce
    .number({ message: 'expected a number' })
    .positive('expected > 0')
    .max(3600)
    .default(10),
  PLAZA_LIVE_NOTIFICATION_URL: OPTIONAL_URL.prefault(''),
  PLAZA_LIVE_POLL_SECONDS: z.coerce
    .number({ message: 'expected a number' })
    .positive('expected > 0')
    .max(3600)
    .default(2),
  PLAZA_COLLECTIONS: OPTIONAL_TEXT.default(''),
  PLAZA_INTERNAL_TOKEN: OPTIONAL_TEXT.default(''),
  PLAZA_FACADE_REMOTES: z
    .string()
    .trim()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, message: 'expected comma-separated http(s) URLs' }))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Plaza's typed configuration. */
export interface PlazaConfig {
  /** TCP port of the HTTP server (default 8080; 0 picks a free one). */
  port: number;
  /** Interface to listen on (default all). */
  host: string;
  /** Absolute folder for Plaza's own stored data (broker database, generated layers). */
  dataDirectory: string;
  /** Absolute folder that holds 3D Tiles tilesets and their sources. */
  tilesetsDirectory: string;
  /** Absolute folder of the built browser app. */
  appDirectory: string;
  /** The NGSI-LD broker: external when `url` is set, otherwise the embedded one. */
  ngsiLd: {
    url: string | undefined;
    tenant: string | undefined;
    context: string | undefined;
    token: string | undefined;
    /** A separate temporal service's API root (Orion-LD keeps history in Mintaka); default the broker's own. */
    temporalUrl: string | undefined;
    /** API key sent in `apiKeyHeader` (an API gateway in front of the broker). */
    apiKey: string | undefined;
    /** The header that carries `apiKey` (default `X-API-Key`). */
    apiKeyHeader: string;
  };
  /** The embedded NGSI-LD broker (mounted when `ngsiLd.url` is unset). */
  broker: {
    /** Days of attribute history kept for the temporal API (default 30). */
    historyRetentionDays: number;
    /** The largest `limit` a query may ask for (default 1000; more answers 403 TooManyResults). */
    maxLimit: number;
    /** Compatibility profile: behave like Orion-LD, Scorpio or Stellio where they differ (default standard; the
     * others bring their own default and maximum limits). */
    profile: 'standard' | 'orion-ld' | 'scorpio' | 'stellio';
  };
  /** Whether the demo sensor simulator runs (default on). */
  simulator: boolean;
  /** Simulator updates per second across all sensors (default 5). */
  simulatorRate: number;
  /** The live relay (/live): `subscription` (the broker notifies Plaza) or `polling` (for brokers that cannot reach
   * Plaza); seconds between subscription checks and re-syncs (default 10) and between polls (default 2). */
  live: {
    mode: 'subscription' | 'polling';
    checkIntervalSeconds: number;
    pollIntervalSeconds: number;
    /** The base URL an external broker reaches this server at (default the URL Plaza listens on), for brokers on
     * another host or in a container. */
    notificationBaseUrl: string | undefined;
  };
  /** OGC API Features: the collections config file (absolute; default none: the built-in collections) and the
   * bearer token that unlocks internal collections (default none: internal collections stay hidden). */
  ogc: { collectionsFile: string | undefined; internalToken: string | undefined };
  /** The NGSI-LD facade over OGC collections: the remote OGC API landing pages it may read (default none; any
   * other remote endpoint is refused, so the facade is no open proxy). */
  facade: { remoteEndpoints: string[] };
  logLevel: z.infer<typeof ENVIRONMENT_SCHEMA>['LOG_LEVEL'];
}

/** Thrown when the environment holds an invalid value; the message names every offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses Plaza's configuration from an environment.
 * @param environment - variables to read (default `process.env`)
 * @param baseDirectory - folder relative paths resolve against (default the working directory)
 * @throws ConfigError when a value is invalid
 */
export function parseConfig(
  environment: Record<string, string | undefined> = process.env,
  baseDirectory = process.cwd(),
): PlazaConfig {
  const result = ENVIRONMENT_SCHEMA.safeParse(environment);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return `${name}=${JSON.stringify(environment[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const env = result.data;
  return {
    port: env.PORT,
    host: env.HOST,
    dataDirectory: resolve(baseDirectory, env.DATA_DIR),
    tilesetsDirectory: resolve(baseDirectory, env.TILESETS_DIR),
    appDirectory: resolve(baseDirectory, env.APP_DIR),
    ngsiLd: {
      url: env.NGSI_LD_URL?.replace(/\/+$/, ''),
      tenant: env.NGSI_LD_TENANT,
      context: env.NGSI_LD_CONTEXT,
      token: env.NGSI_LD_TOKEN,
      temporalUrl: env.NGSI_LD_TEMPORAL_URL?.replace(/\/+$/, ''),
      apiKey: env.NGSI_LD_API_KEY,
      apiKeyHeader: env.NGSI_LD_API_KEY_HEADER,
    },
    broker: {
      historyRetentionDays: env.NGSI_LD_HISTORY_RETENTION_DAYS,
      maxLimit: env.NGSI_LD_MAX_LIMIT,
      profile: env.NGSI_LD_PROFILE,
    },
    simulator: env.PLAZA_SIMULATOR,
    simulatorRate: env.PLAZA_SIMULATOR_RATE,
    live: {
      mode: env.PLAZA_LIVE_MODE,
      checkIntervalSeconds: env.PLAZA_LIVE_CHECK_SECONDS,
      pollIntervalSeconds: env.PLAZA_LIVE_POLL_SECONDS,
      notificationBaseUrl: env.PLAZA_LIVE_NOTIFICATION_URL?.replace(/\/+$/, ''),
    },
    ogc: {
      collectionsFile: env.PLAZA_COLLECTIONS ? resolve(baseDirectory, env.PLAZA_COLLECTIONS) : undefined,
      internalToken: env.PLAZA_INTERNAL_TOKEN,
    },
    facade: { remoteEndpoints: env.PLAZA_FACADE_REMOTES },
    logLevel: env.LOG_LEVEL,
  };
}
