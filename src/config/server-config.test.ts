// Server settings: environment, CLI overrides on top, readable errors naming the variable.

import { expect, test } from 'bun:test';
import { loadServerConfig } from './server-config.ts';

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
