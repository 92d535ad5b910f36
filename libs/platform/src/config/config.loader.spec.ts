import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.loader.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const noFile = (): string => {
  throw Object.assign(new Error('nope'), { code: 'ENOENT' });
};

describe('loadConfig', () => {
  it('applies the SPEC defaults when only the key is set', () => {
    const config = loadConfig({ BATON_ENCRYPTION_KEY: KEY }, noFile);
    expect(config.port).toBe(3000);
    expect(config.queuePrefix).toBe('baton');
    expect(config.api.scopes.workflowsWrite).toBe('baton:workflows:write');
    expect(config.escalationTtlSeconds).toBe(86400);
    expect(config.maxDelegationDepth).toBe(3);
    expect(config.worker.nodeConcurrency).toEqual({ min: 4, max: 32, targetCompletionMs: 10 });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('names BATON_ENCRYPTION_KEY when it is missing or not 32 bytes', () => {
    expect(() => loadConfig({}, noFile)).toThrow(/^BATON_ENCRYPTION_KEY: is required/);
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, noFile)).toThrow(
      /^BATON_ENCRYPTION_KEY: must be 32 bytes/,
    );
  });

  it('names an unknown baton.yaml key with its path', () => {
    const read = () => 'api:\n  audience: x\n  colour: blue\n';
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY }, read)).toThrow(ConfigError);
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY }, read)).toThrow('./baton.yaml: api.colour: unknown key');
  });

  it('names a secret variable that is unset', () => {
    const read = () =>
      'exchangeProfiles:\n  corp:\n    issuer: http://127.0.0.1:4000\n    clientId: w\n    clientSecretEnv: CORP_SECRET\n';
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY }, read)).toThrow(
      'exchangeProfiles.corp.clientSecretEnv: environment variable CORP_SECRET is not set',
    );
    const config = loadConfig({ BATON_ENCRYPTION_KEY: KEY, CORP_SECRET: 's3' }, read);
    expect(config.tenants.default!.exchangeProfiles.corp!.clientSecret).toBe('s3');
    expect(config.tenants.default!.exchangeProfiles.corp!.expirySkewSeconds).toBe(30);
  });

  it('reads worker.nodeConcurrency, and refuses a minimum above the maximum naming the key', () => {
    const read = () => 'worker:\n  nodeConcurrency:\n    min: 8\n    max: 8\n    targetCompletionMs: 25\n';
    expect(loadConfig({ BATON_ENCRYPTION_KEY: KEY }, read).worker.nodeConcurrency).toEqual({
      min: 8,
      max: 8,
      targetCompletionMs: 25,
    });
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY }, () => 'worker:\n  nodeConcurrency:\n    min: 40\n')).toThrow(
      /worker\.nodeConcurrency\.min: /,
    );
    expect(() =>
      loadConfig({ BATON_ENCRYPTION_KEY: KEY }, () => 'worker:\n  nodeConcurrency:\n    speed: 3\n'),
    ).toThrow(/worker\.nodeConcurrency/);
  });

  it('refuses a wrong type and names the key', () => {
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY }, () => 'escalationTtlSeconds: soon\n')).toThrow(
      /escalationTtlSeconds: /,
    );
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY, PORT: 'abc' }, noFile)).toThrow(/^PORT: /);
  });

  it('requires an explicitly named config file to exist', () => {
    expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY, BATON_CONFIG: '/nope.yaml' }, noFile)).toThrow(
      'BATON_CONFIG: cannot read /nope.yaml: file not found',
    );
  });
});

describe('loadConfig: OpenTelemetry export', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT (or with it empty), on with an http(s) URL', () => {
    expect(loadConfig({ BATON_ENCRYPTION_KEY: KEY }, noFile).tracing).toEqual({ otlpEndpoint: undefined });
    expect(loadConfig({ BATON_ENCRYPTION_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: '' }, noFile).tracing).toEqual({
      otlpEndpoint: undefined,
    });
    expect(
      loadConfig({ BATON_ENCRYPTION_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, noFile).tracing,
    ).toEqual({ otlpEndpoint: 'http://collector:4318' });
  });

  it('names the key when the endpoint is not an http(s) URL', () => {
    for (const bad of ['collector:4318', 'grpc://collector:4317', 'not a url'])
      expect(() => loadConfig({ BATON_ENCRYPTION_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: bad }, noFile)).toThrow(
        /^OTEL_EXPORTER_OTLP_ENDPOINT: /,
      );
  });
});
