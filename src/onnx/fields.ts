// Field lookups over one protobuf message, the way ONNX readers need them: repeated embedded
// messages and strings, and singular fields where the last occurrence wins.

import { type Field, readFields, toText, WIRE } from './protobuf.ts';

/** The LEN payloads of every field numbered `no` (a repeated embedded message). */
export function messages(msg: Uint8Array, no: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of readFields(msg)) if (f.no === no && f.wire === WIRE.LEN) out.push(f.bytes);
  return out;
}
/** Every string of a repeated string field. */
export function strings(msg: Uint8Array, no: number): string[] {
  return messages(msg, no).map((b) => utf8.decode(b));
}
/** A singular field; protobuf says the last occurrence wins. */
export function lastField(msg: Uint8Array, no: number): Field | undefined {
  let found: Field | undefined;
  for (const f of readFields(msg)) if (f.no === no) found = f;
  return found;
}
/** A singular string field, '' when absent (the protobuf default). */
export function text(msg: Uint8Array, no: number): string {
  const f = lastField(msg, no);
  return f && f.wire === WIRE.LEN ? toText(f) : '';
}

const utf8 = new TextDecoder();
