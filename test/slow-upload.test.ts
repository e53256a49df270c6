// Slow clients and big bodies against the real Bun server (`bun src/cli.ts serve`), issue 10 items
// 25 and 8. With IDLE_TIMEOUT_S=1 and BODY_TIMEOUT_S=5:
// - a photo trickled in over ~4 s (data never stops for a full second) is answered 200: the idle
//   timeout measures inactivity, and body data is activity (Bun's own idle timer is not reset by
//   it, which cut a phone's steady upload at the idle timeout);
// - a client that stops sending mid-body gets a JSON 408 naming IDLE_TIMEOUT_S, not a silent close;
// - a client that keeps sending forever gets a JSON 408 naming BODY_TIMEOUT_S;
// - a body over MAX_BODY_BYTES, by a little or by far more than 1 MiB, declared or chunked, gets
//   a JSON 413 naming the limit (Bun's own limit answered an empty 413).
// Every exchange starts at once in beforeAll, so the file takes about the longest of them.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './helpers.ts';
import { type Piece, type RawAnswer, rawExchange, trickle } from './raw-http.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const IDLE_S = 1;
const BODY_S = 5;
const LIMIT = 1024 * 1024;
const photo = new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg')));

let srv: ServerProcess;
let port = 0;
const head = (path: string, headers: Record<string, string | number>) =>
  [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
const detect = (pieces: Piece[], length = photo.byteLength) =>
  rawExchange(port, head('/v1/faces/detect', { 'Content-Type': 'image/jpeg', 'Content-Length': length }), pieces);
/** One chunk of a chunked body per piece, then (if `end`) the last chunk. */
const chunked = (pieces: Piece[], end: boolean): Piece[] => [
  ...pieces.map((p) => ({ delayMs: p.delayMs, data: Buffer.concat([Buffer.from(`${p.data.byteLength.toString(16)}\r\n`), p.data, Buffer.from('\r\n')]) })),
  ...(end ? [{ delayMs: 0, data: Buffer.from('0\r\n\r\n') }] : []),
];

let steady: Promise<RawAnswer>;
let stalled: Promise<RawAnswer>;
let endless: Promise<RawAnswer>;
let over: Array<[string, Promise<RawAnswer>]>;

beforeAll(async () => {
  srv = await startServer({ IDLE_TIMEOUT_S: String(IDLE_S), BODY_TIMEOUT_S: String(BODY_S), MAX_BODY_BYTES: String(LIMIT), GALLERY_DATABASE: 'off' });
  port = Number(new URL(srv.url).port);
  // 17 pieces 250 ms apart: 4 s, four times the idle timeout, within the overall limit.
  steady = detect(trickle(photo, 17, 250));
  // Half the photo, then silence (the rest would follow 4 s later, far past the idle timeout).
  stalled = detect([
    { delayMs: 0, data: photo.subarray(0, photo.byteLength >> 1) },
    { delayMs: 4000, data: photo.subarray(photo.byteLength >> 1) },
  ]);
  // A declared 1 MiB arriving at 4 KiB every 250 ms: 64 s, far past BODY_TIMEOUT_S, never idle.
  const slow = new Uint8Array(LIMIT);
  endless = rawExchange(
    port,
    head('/v2/models/simple/infer', { 'Content-Type': 'application/json', 'Content-Length': slow.byteLength }),
    trickle(slow, 256, 250),
  );
  const big = (n: number) => new Uint8Array(n).fill(0x20);
  over = [
    ['declared, 1 KiB over', detect([{ delayMs: 0, data: big(LIMIT + 1024) }], LIMIT + 1024)],
    ['declared, 3 MiB over', detect([{ delayMs: 0, data: big(LIMIT + 3 * LIMIT) }], LIMIT + 3 * LIMIT)],
    [
      'chunked, 3 MiB over',
      rawExchange(
        port,
        head('/v1/faces/detect', { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' }),
        chunked(trickle(big(4 * LIMIT), 64, 5), true),
      ),
    ],
  ];
}, 60_000);
afterAll(async () => {
  await srv?.stop();
});

const json = (a: RawAnswer) => {
  expect(a.headers['content-type'] ?? '', a.body).toContain('application/json');
  return JSON.parse(a.body) as { error?: string; faces?: Array<{ box: number[] }> };
};

test('a photo trickled in for 4 s (idle timeout 1 s, data keeps coming) is answered 200 with the face', async () => {
  const a = await steady;
  expect(a.status, `${a.body}\n${srv.output().slice(-2000)}`).toBe(200);
  expect(a.ms).toBeGreaterThan(3 * IDLE_S * 1000); // the upload really outlasted the idle timeout
  expect(json(a).faces).toHaveLength(1);
}, 30_000);

test('a client that stalls mid-body longer than IDLE_TIMEOUT_S gets a JSON 408 (not a silent close)', async () => {
  const a = await stalled;
  expect(a.status, a.body).toBe(408);
  expect(json(a).error).toBe(`no request body data for ${IDLE_S} s (IDLE_TIMEOUT_S)`);
  expect(a.piecesSent).toBe(1); // answered during the silence, before the rest was sent
}, 30_000);

test('BODY_TIMEOUT_S bounds the whole upload, however steadily it comes: JSON 408', async () => {
  const a = await endless;
  expect(a.status, a.body).toBe(408);
  expect(json(a).error).toBe(`the request body took longer than ${BODY_S} s to arrive (BODY_TIMEOUT_S)`);
  expect(a.ms).toBeGreaterThanOrEqual(BODY_S * 1000 - 50);
  expect(a.piecesSent).toBeLessThan(256);
}, 30_000);

test('a body over MAX_BODY_BYTES, by a little or by more than 1 MiB, declared or chunked: JSON 413 naming the limit', async () => {
  for (const [name, p] of over) {
    const a = await p;
    expect(a.status, `${name}: ${JSON.stringify(a)}`).toBe(413);
    expect(json(a).error, name).toContain(`exceeds the limit of ${LIMIT} bytes`);
  }
  // And the server goes on serving.
  expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
}, 30_000);
