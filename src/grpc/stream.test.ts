// ModelStreamInfer's pipeline: requests start as they arrive, answers leave in request order,
// and no more than maxInFlight requests of a stream are open (the rest is not read yet).

import { expect, test } from 'bun:test';
import { create } from '@bufbuild/protobuf';
import { type ModelInferRequest, ModelInferRequestSchema, ModelStreamInferResponseSchema } from './gen/grpc_service_pb.ts';
import { pipelineStream } from './stream.ts';

async function* requests(n: number, read: number[]) {
  for (let i = 0; i < n; i++) {
    read.push(i);
    yield create(ModelInferRequestSchema, { id: String(i) });
  }
}

test('answers in request order while later requests finish first; at most maxInFlight open', async () => {
  const read: number[] = [];
  let open = 0;
  let maxOpen = 0;
  const step = async (r: ModelInferRequest) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    await Bun.sleep(40 - 3 * Number(r.id)); // later ones are faster
    open--;
    return create(ModelStreamInferResponseSchema, { inferResponse: { id: r.id } });
  };
  const ids: string[] = [];
  for await (const resp of pipelineStream(requests(10, read), step, 4)) ids.push(resp.inferResponse!.id);
  expect(ids).toEqual([...Array(10).keys()].map(String));
  expect(maxOpen).toBe(4);
  expect(read.length).toBe(10);
});

test('requests run concurrently: all 8 are open before the first answer is sent', async () => {
  let open = 0;
  let maxOpen = 0;
  let n = 0;
  const step = async () => {
    maxOpen = Math.max(maxOpen, ++open);
    await Bun.sleep(20);
    open--;
    return create(ModelStreamInferResponseSchema, {});
  };
  for await (const _ of pipelineStream(requests(8, []), step, 64)) n++;
  expect(n).toBe(8);
  expect(maxOpen).toBe(8);
});

test('an abandoned stream stops reading its requests', async () => {
  const read: number[] = [];
  const gen = pipelineStream(requests(100, read), async (r) => create(ModelStreamInferResponseSchema, { inferResponse: { id: r.id } }), 2);
  await gen.next();
  await gen.return(undefined);
  expect(read.length).toBeLessThanOrEqual(4);
});
