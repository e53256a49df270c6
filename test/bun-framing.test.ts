// What Bun.serve (1.4.5) itself answers to HTTP/1.1 framing it rejects, before any edgeserve code
// runs: pinned here on a bare Bun.serve, so the README's "HTTP framing" note stays true, and a Bun
// upgrade that changes any of it fails this test (then drop the case from the note and from
// test/fuzz.test.ts's BUN_FRAMING). The pipelining case is a Bun bug, with this reproduction for
// its tracker: a request pipelined behind one whose response is produced asynchronously is
// dropped, and the connection closed with neither answered. Bun's node:http (and Node's) answer both.

import { afterAll, expect, test } from 'bun:test';
import { connect } from 'node:net';

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    if (req.method === 'POST') {
      const n = (await req.arrayBuffer()).byteLength;
      await Bun.sleep(20); // an answer that is not ready at once, as every inference is
      return Response.json({ n });
    }
    return Response.json({ ok: true });
  },
});
afterAll(() => server.stop(true));

/** Sends `data` on a fresh connection (then half-closes it when asked); what came back before
 *  the server closed it (or 3 s). */
function exchange(data: string, halfClose = false): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(server.port!, '127.0.0.1', () => {
      s.write(data);
      if (halfClose) s.end();
    });
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    const done = () => resolve(out);
    s.on('close', done);
    s.on('error', done);
    setTimeout(() => {
      s.destroy();
      done();
    }, 3000);
  });
}

const answers = (raw: string) => [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

test('framing Bun rejects itself: 505 with no body, or a silent close', async () => {
  expect(answers(await exchange('GET /x HTTP/1.1\nHost: x\nConnection: close\n\n'))).toEqual([505]);
  expect(answers(await exchange('GET\t/x\tHTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([505]);
  expect(answers(await exchange('GET /\u0000x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([505]);
  expect(answers(await exchange('GET /x HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([505]);
  expect(answers(await exchange('get /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([]);
  expect(answers(await exchange('BREW /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toEqual([]);
});

test('a request pipelined behind an asynchronous answer is dropped (Bun bug), synchronous ones are not', async () => {
  const post = 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
  const get = 'GET /y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  expect(answers(await exchange(`${post}${get}`))).toEqual([]);
  expect(answers(await exchange(`GET /y HTTP/1.1\r\nHost: x\r\n\r\n${get}`))).toEqual([200, 200]);
});

test('a client that half-closes after a complete request gets no asynchronous answer (Bun; Node 20 the same)', async () => {
  expect(answers(await exchange('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', true))).toEqual([]);
  expect(answers(await exchange('GET /y HTTP/1.1\r\nHost: x\r\n\r\n', true))).toEqual([200]);
});
