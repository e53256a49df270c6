// ModelStreamInfer: a bidirectional stream of ModelInferRequest → ModelStreamInferResponse. Each
// request starts as soon as it arrives and responses leave in request order, so a client that
// pipelines keeps the server busy. At most `maxInFlight` requests of one stream are open at
// once: beyond that the stream is not read (HTTP/2 flow control pushes back on the client), so a
// stream cannot queue unbounded work. A failed request answers with `error_message` (the same
// message as REST) and the stream goes on, as Triton's does.

import { create } from '@bufbuild/protobuf';
import { type ModelInferRequest, type ModelStreamInferResponse, ModelStreamInferResponseSchema } from './gen/grpc_service_pb.ts';

/** Answers one request; must not throw (errors become error_message responses). */
export type StreamStep = (req: ModelInferRequest) => Promise<ModelStreamInferResponse>;

export async function* pipelineStream(
  requests: AsyncIterable<ModelInferRequest>,
  step: StreamStep,
  maxInFlight: number,
): AsyncGenerator<ModelStreamInferResponse> {
  const it = requests[Symbol.asyncIterator]();
  const open: Array<Promise<ModelStreamInferResponse>> = [];
  // One pending read at a time, wrapped once: a read that loses a race is reused by the next
  // round, and one that fails after the stream was abandoned is not an unhandled rejection.
  let next: Promise<{ r: IteratorResult<ModelInferRequest> }> | undefined;
  let ended = false;
  try {
    while (!ended || open.length > 0) {
      if (!ended && open.length < maxInFlight) {
        if (!next) {
          next = it.next().then((r) => ({ r }));
          next.catch(() => {});
        }
        const head = open[0];
        // Whichever comes first: another request to start, or the oldest answer to send.
        const got = await (head ? Promise.race([next, head.then(() => undefined)]) : next);
        if (got) {
          next = undefined;
          if (got.r.done) ended = true;
          else open.push(step(got.r.value));
          continue;
        }
      }
      yield await open.shift()!;
    }
  } finally {
    // Not awaited: with a read still pending, return() would wait for the client's next message.
    if (!ended) it.return?.().catch(() => {});
  }
}

export function streamError(message: string, req: ModelInferRequest): ModelStreamInferResponse {
  return create(ModelStreamInferResponseSchema, {
    errorMessage: message,
    // Lets a client match the failure to its request (Triton's clients read only error_message).
    inferResponse: { modelName: req.modelName, modelVersion: req.modelVersion, id: req.id },
  });
}
