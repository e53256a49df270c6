// Wire-format round trips: varints at the 32/53/64-bit edges, every wire type, pass-through.

import { describe, expect, test } from 'bun:test';
import { editMessages, encodeVarint, int64, readFields, readVarint, repeatedInts, spliceFields, toNumber, toText, WIRE, Writer } from './protobuf.ts';

describe('varint', () => {
  const cases = [0n, 1n, 127n, 128n, 300n, 2n ** 32n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];
  test.each(cases.map((c) => [c]))('%p round-trips exactly', (v) => {
    const bytes = encodeVarint(v);
    expect(readVarint(bytes, 0)).toEqual([v, bytes.length]);
  });
  test("negative int64 is 10 bytes of two's complement", () => {
    const bytes = encodeVarint(-1n);
    expect(bytes.length).toBe(10);
    const [f] = readFields(new Writer().varint(3, -5).finish());
    expect(int64(f)).toBe(-5n);
    expect(toNumber(f)).toBe(-5);
  });
  test('truncated and overlong varints throw', () => {
    expect(() => readVarint(Uint8Array.of(0x80, 0x80), 0)).toThrow(/truncated/);
    expect(() => readVarint(new Uint8Array(11).fill(0x80), 0)).toThrow(/longer than 10/);
  });
  test('toNumber refuses to lose precision', () => {
    const [f] = readFields(new Writer().varint(1, 2n ** 60n).finish());
    expect(() => toNumber(f)).toThrow(/safe integer/);
  });
});

describe('fields', () => {
  const msg = new Writer()
    .varint(1, 150)
    .string(2, 'héllo')
    .fixed32(3, 0xdeadbeef)
    .fixed64(4, 2n ** 63n + 5n)
    .float(5, 1.5)
    .message(6, (w) => w.varint(1, 7).string(2, 'inner'))
    .bytes(7, Uint8Array.of(0x08, 0x96, 0x01)) // packed [8, 150]
    .finish();

  test('reads every wire type', () => {
    const fs = [...readFields(msg)];
    expect(fs.map((f) => [f.no, f.wire])).toEqual([
      [1, WIRE.VARINT],
      [2, WIRE.LEN],
      [3, WIRE.I32],
      [4, WIRE.I64],
      [5, WIRE.I32],
      [6, WIRE.LEN],
      [7, WIRE.LEN],
    ]);
    expect(fs[0].varint).toBe(150n);
    expect(toText(fs[1])).toBe('héllo');
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(dv(fs[2].bytes).getUint32(0, true)).toBe(0xdeadbeef);
    expect(dv(fs[3].bytes).getBigUint64(0, true)).toBe(2n ** 63n + 5n);
    expect(dv(fs[4].bytes).getFloat32(0, true)).toBe(1.5);
    expect([...readFields(fs[5].bytes)].map((f) => f.no)).toEqual([1, 2]);
    expect(repeatedInts(fs[6])).toEqual([8n, 150n]);
  });
  test('raw slices re-emit the message byte-for-byte', () => {
    const w = new Writer();
    for (const f of readFields(msg)) w.raw(f.raw);
    expect(w.finish()).toEqual(msg);
  });
  test('a LEN field that overruns the buffer throws', () => {
    expect(() => [...readFields(Uint8Array.of(0x12, 0x05, 0x61))]).toThrow(/overruns/);
  });
  test('groups are rejected', () => {
    expect(() => [...readFields(Uint8Array.of(0x0b))]).toThrow(/wire type 3/);
  });
});

describe('splice', () => {
  const msg = new Writer()
    .varint(1, 1)
    .message(2, (w) => w.string(1, 'a'))
    .varint(3, 3)
    .finish();
  test('no change returns the same buffer (no copy)', () => {
    expect(spliceFields(msg, () => undefined)).toBe(msg);
    expect(editMessages(msg, 2, (p) => p)).toBe(msg);
  });
  test('drop and replace keep the other fields intact', () => {
    const out = spliceFields(msg, (f) => (f.no === 1 ? null : f.no === 3 ? new Writer().varint(3, 99).finish() : undefined));
    expect([...readFields(out)].map((f) => [f.no, f.no === 3 ? f.varint : null])).toEqual([
      [2, null],
      [3, 99n],
    ]);
  });
  test('editMessages rewrites nested payloads', () => {
    const out = editMessages(msg, 2, () => new Writer().string(1, 'bbb').finish());
    const inner = [...readFields(out)].find((f) => f.no === 2)!;
    expect(toText([...readFields(inner.bytes)][0])).toBe('bbb');
    expect(out.length).toBe(msg.length + 2);
  });
});
