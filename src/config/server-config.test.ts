// Server settings: environment, CLI overrides on top, readable errors naming the variable.

import { expect, test } from 'bun:test';
import { loadServerConfig, loadSettings, settingDefault } from './server-config.ts';

test('defaults, env and overrides', () => {
  const d = loadServerConfig({});
  expect(d.port).toBe(8000);
  expect(d.host).toBe('0.0.0.0');
  expect(d.workers).toBeUndefined();
  const e = loadServerConfig({ PORT: '9000', HOST: '127.0.0.1', PULL: 'false', WORKERS: '0' }, { port: '9100' });
  expect(e.port).toBe(9100);
  expect(e.host).toBe('127.0.0.1');
  expect(e.pull).toBe(false);
  expect(e.workers).toBe(0);
  expect(loadServerConfig({}, { pull: '0' }).pull).toBe(false);
  expect(loadServerConfig({ PULL: '1' }).pull).toBe(true);
});

test('invalid values name the environment variable', () => {
  expect(() => loadServerConfig({ PORT: 'eighty' })).toThrow(/^PORT: /);
  expect(() => loadServerConfig({ ENGINE: 'tensorrt' })).toThrow(/ENGINE/);
});

test('an empty value is an error naming the variable or flag, never the default', () => {
  expect(() => loadServerConfig({ PORT: '' })).toThrow('PORT is empty: give a value, or unset it (default 8000)');
  expect(() => loadServerConfig({}, { port: '' })).toThrow('--port is empty');
  expect(() => loadServerConfig({ CORS_ORIGINS: ' ' })).toThrow('CORS_ORIGINS is empty');
});

test('booleans accept only true/false, 1/0, yes/no, on/off; anything else names the flag and the value', () => {
  for (const [v, b] of [
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['yes', true],
    ['No', false],
    ['on', true],
    ['off', false],
  ] as const) {
    expect(loadServerConfig({}, { pull: v }).pull).toBe(b);
    expect(loadServerConfig({ REUSE_PORT: v }).reusePort).toBe(b);
  }
  expect(() => loadServerConfig({}, { pull: 'maybe' })).toThrow('--pull: must be true or false (or 1/0, yes/no, on/off), got "maybe"');
  expect(() => loadServerConfig({ PULL: '2' })).toThrow('PULL: must be true or false');
  expect(loadServerConfig({}).reusePort).toBe(false);
});

test('a bad HOST is refused before the bind gives a bare EINVAL; messages quote the value', () => {
  for (const h of ['0.0.0.0', '::', '::1', '127.0.0.1', 'localhost', 'my-host.example']) expect(loadServerConfig({ HOST: h }).host).toBe(h);
  for (const h of ['999.1.1.1', 'a b', '1.2.3', 'http://x', '[::1]', '-x'])
    expect(() => loadServerConfig({ HOST: h }), h).toThrow(
      `HOST: must be an IP address (0.0.0.0, ::, 127.0.0.1, …) or a host name of this machine, got ${JSON.stringify(h)}`,
    );
  expect(() => loadServerConfig({ PORT: 'eighty' })).toThrow('PORT: must be a number, got "eighty"');
  expect(() => loadServerConfig({}, { port: '70000' })).toThrow(/^--port: .*65535.*, got "70000"$/);
});

test('loadSettings reads only the named settings (pull does not care about PORT)', () => {
  expect(loadSettings(['models'], { PORT: '', MODEL_REPOSITORY: 'x' })).toEqual({ models: 'x' });
  expect(() => loadSettings(['models'], { MODEL_REPOSITORY: '' })).toThrow('MODEL_REPOSITORY is empty');
});

test('defaults for the help text', () => {
  expect(settingDefault('port')).toBe('8000');
  expect(settingDefault('pull')).toBe('true');
  expect(settingDefault('workers')).toBeUndefined(); // computed: one per core
  expect(settingDefault('logFormat')).toBe('text');
});
