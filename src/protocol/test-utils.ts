// Helpers shared by the protocol tests: building binary-extension bodies, asserting
// INVALID_ARGUMENT errors by message fragments, and reading a binary response the way
// tritonclient.http's InferResult does.

import { expect } from 'bun:test';
import { isEdgeError } from '../core/errors.ts';

export const utf8 = new TextEncoder();

export function jsonBody(obj: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(obj));
}

/** JSON header (object or exact text) followed by raw chunks; returns the header length too. */
export function binaryBody(header: unknown, ...chunks: Uint8Array[]): { body: Uint8Array; headerLength: number } {
  const head = utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  let total = head.byteLength;
  for (const c of chunks) total += c.byteLength;
  const body = new Uint8Array(total);
  body.set(head);
  let off = head.byteLength;
  for (const c of chunks) {
    body.set(c, off);
    off += c.byteLength;
  }
  return { body, headerLength: head.byteLength };
}

export function le(typed: ArrayBufferView): Uint8Array {
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** BYTES elements serialized as the binary extension does: u32 LE length + bytes each. */
export function lengthPrefixed(...els: Array<string | Uint8Array>): Uint8Array {
  const bufs = els.map((e) => (typeof e === 'string' ? utf8.encode(e) : e));
  const out = new Uint8Array(bufs.reduce((n, b) => n + 4 + b.byteLength, 0));
  const view = new DataView(out.buffer);
  let off = 0;
  for (const b of bufs) {
    view.setUint32(off, b.byteLength, true);
    out.set(b, off + 4);
    off += 4 + b.byteLength;
  }
  return out;
}

/** Asserts fn throws an INVALID_ARGUMENT EdgeError whose message contains every fragment. */
export function expectInvalid(fn: () => unknown, ...fragments: string[]): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  if (!isEdgeError(err)) throw new Error(`expected an EdgeError, got ${String(err)}`);
  expect(err.code).toBe('INVALID_ARGUMENT');
  for (const f of fragments) expect(err.message).toContain(f);
  return err.message;
}

export interface ParsedResponse {
  json: { outputs: Array<{ name: string; datatype: string; shape: number[]; parameters?: Record<string, unknown>; data?: unknown[] }> } & Record<
    string,
    unknown
  >;
  /** Binary output bytes by name, located as tritonclient.http's InferResult locates them. */
  binary: Map<string, Uint8Array>;
}

export function parseResponse(body: Uint8Array | string, headers: Record<string, string>): ParsedResponse {
  const headerLength = headers['Inference-Header-Content-Length'];
  if (typeof body === 'string') {
    expect(headerLength).toBeUndefined();
    return { json: JSON.parse(body), binary: new Map() };
  }
  expect(headerLength).toBeDefined();
  const n = Number(headerLength);
  const json = JSON.parse(new TextDecoder().decode(body.subarray(0, n)));
  const rest = body.subarray(n);
  const binary = new Map<string, Uint8Array>();
  let index = 0;
  for (const o of json.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      binary.set(o.name, rest.subarray(index, index + size));
      index += size;
    }
  }
  expect(index).toBe(rest.byteLength);
  return { json, binary };
}
