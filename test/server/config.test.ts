import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/config';

describe('parseConfig', () => {
  it('returns the documented defaults when the environment is empty', () => {
    const config = parseConfig({}, '/srv/plaza');
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDirectory).toBe('/srv/plaza/data');
    expect(config.tilesetsDirectory).toBe('/srv/plaza/tilesets');
    expect(config.ngsiLd.url).toBeUndefined();
    expect(config.ngsiLd.tenant).toBeUndefined();
    expect(config.simulator).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = parseConfig(
      {
        PORT: '9000',
        HOST: '127.0.0.1',
        DATA_DIR: '/var/lib/plaza',
        NGSI_LD_URL: 'http://broker:1026/',
        NGSI_LD_TENANT: 'city',
        NGSI_LD_CONTEXT: 'https://example.org/context.jsonld',
        NGSI_LD_TOKEN: 'secret',
        NGSI_LD_TEMPORAL_URL: 'http://mintaka:8080/ngsi-ld/v1/',
        NGSI_LD_API_KEY: 'key-1',
        NGSI_LD_API_KEY_HEADER: 'apikey',
        PLAZA_SIMULATOR: 'off',
      },
      '/srv/plaza',
    );
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDirectory).toBe('/var/lib/plaza');
    expect(config.ngsiLd).toEqual({
      url: 'http://broker:1026',
      tenant: 'city',
      context: 'https://example.org/context.jsonld',
      token: 'secret',
      temporalUrl: 'http://mintaka:8080/ngsi-ld/v1',
      apiKey: 'key-1',
      apiKeyHeader: 'apikey',
    });
    expect(config.simulator).toBe(false);
  });

  it('treats empty strings as unset', () => {
    const config = parseConfig({ NGSI_LD_URL: '', NGSI_LD_TENANT: ' ' });
    expect(config.ngsiLd.url).toBeUndefined();
    expect(config.ngsiLd.tenant).toBeUndefined();
  });

  it.each([
    ['PORT', 'eighty', /PORT="eighty": expected a number/],
    ['PORT', '70000', /PORT="70000": expected 0-65535/],
    ['PORT', '80.5', /PORT="80.5": expected a whole number/],
    ['NGSI_LD_URL', 'broker:1026', /NGSI_LD_URL="broker:1026": expected an http\(s\) URL/],
    ['NGSI_LD_URL', 'ftp://broker/', /NGSI_LD_URL="ftp:\/\/broker\/": expected an http\(s\) URL/],
    ['PLAZA_SIMULATOR', 'maybe', /PLAZA_SIMULATOR="maybe": expected 'on' or 'off'/],
  ])('throws a ConfigError naming %s when it is %j', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });

  it('names every invalid variable in one message', () => {
    expect(() => parseConfig({ PORT: 'x', PLAZA_SIMULATOR: 'y' })).toThrow(/PORT="x".*; PLAZA_SIMULATOR="y"/);
  });
});
