// BuiltInRepository over an in-memory archive: listing, versions, config text, and copies of the
// weights (a loader may transfer what it gets to a worker).

import { expect, test } from 'bun:test';
import { BuiltInRepository } from './repository.ts';

const enc = new TextEncoder();
const files = new Map<string, Uint8Array>([
  ['models/b/config.json', enc.encode('{"name":"b"}')],
  ['models/b/1/model.onnx', new Uint8Array([1, 2, 3])],
  ['models/b/3/model.onnx', new Uint8Array([4])],
  ['models/a/config.json', enc.encode('{"name":"a"}')],
  ['models/a/x/model.onnx', new Uint8Array([9])], // not a numeric version
  ['docs/swagger-ui.css', enc.encode('body{}')],
]);

test('lists models by config, versions by weights', async () => {
  const r = new BuiltInRepository(files);
  expect(r.empty).toBe(false);
  expect(await r.list()).toEqual(['a', 'b']);
  expect((await r.listVersions('b', 'model.onnx')).sort()).toEqual(['1', '3']);
  expect(await r.listVersions('a', 'model.onnx')).toEqual([]);
  expect((await r.readConfig('b')).text).toBe('{"name":"b"}');
});

test('hands out copies of the weights, and names what is missing', async () => {
  const r = new BuiltInRepository(files);
  const m = await r.readModel('b', '1', 'model.onnx');
  expect([...m.bytes]).toEqual([1, 2, 3]);
  m.bytes[0] = 99;
  expect([...(await r.readModel('b', '1', 'model.onnx')).bytes]).toEqual([1, 2, 3]);
  await expect(r.readModel('b', '2', 'model.onnx')).rejects.toThrow('models/b/2/model.onnx (built in): not in this binary');
  expect(new BuiltInRepository(new Map()).empty).toBe(true);
});
