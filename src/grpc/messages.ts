// DataPlane answers → the gRPC messages of the metadata, configuration, statistics and
// repository methods: the same data the REST routes serve (src/http/routes/kserve.ts and
// repository.ts), in Triton's protobuf shapes.

import { create, fromJson } from '@bufbuild/protobuf';
import type { JsonValue } from '@bufbuild/protobuf';
import { internal } from '../core/errors.ts';
import type { ModelMetadata, TensorMetadata } from '../core/inference.ts';
import type { ModelConfig } from '../core/model-config.ts';
import type { Duration, ModelStats } from '../core/stats.ts';
import {
  type ModelMetadataResponse,
  ModelMetadataResponseSchema,
  type ModelMetadataResponse_TensorMetadata,
  ModelMetadataResponse_TensorMetadataSchema,
  type ModelStatistics,
  ModelStatisticsSchema,
  type RepositoryIndexResponse,
  RepositoryIndexResponseSchema,
  type StatisticDuration,
  StatisticDurationSchema,
} from './gen/grpc_service_pb.ts';
import { type ModelConfig as ModelConfigMessage, ModelConfigSchema } from './gen/model_config_pb.ts';

const tensorMeta = (t: TensorMetadata): ModelMetadataResponse_TensorMetadata =>
  create(ModelMetadataResponse_TensorMetadataSchema, { name: t.name, datatype: t.datatype, shape: t.shape.map((d) => BigInt(d)) });

export function modelMetadataMessage(m: ModelMetadata): ModelMetadataResponse {
  return create(ModelMetadataResponseSchema, {
    name: m.name,
    versions: m.versions,
    platform: m.platform,
    inputs: m.inputs.map(tensorMeta),
    outputs: m.outputs.map(tensorMeta),
  });
}

/**
 * config.json uses ModelConfig's protobuf JSON names, so it parses as the message directly.
 * edgeserve's own fields (image, source, engine, …) have no field there and are left out.
 */
export function modelConfigMessage(config: ModelConfig): ModelConfigMessage {
  try {
    return fromJson(ModelConfigSchema, config as JsonValue, { ignoreUnknownFields: true });
  } catch (e) {
    throw internal(`model '${config.name}': its config does not convert to Triton's ModelConfig message: ${(e as Error).message}`);
  }
}

const dur = (d: Duration): StatisticDuration => create(StatisticDurationSchema, { count: BigInt(d.count), ns: BigInt(d.ns) });

/** The same numbers as GET /v2/models/{m}/stats (batch_stats carry execution counts per size). */
export function modelStatisticsMessage(name: string, version: string, s: ModelStats): ModelStatistics {
  return create(ModelStatisticsSchema, {
    name,
    version,
    lastInference: BigInt(Math.round(s.lastInferenceMs)),
    inferenceCount: BigInt(s.inferenceCount),
    executionCount: BigInt(s.executionCount),
    inferenceStats: {
      success: dur(s.success),
      fail: dur(s.fail),
      queue: dur(s.queue),
      computeInput: dur(s.computeInput),
      computeInfer: dur(s.computeInfer),
      computeOutput: dur(s.computeOutput),
    },
    batchStats: [...s.batchSizes]
      .sort(([a], [b]) => a - b)
      .map(([size, d]) => ({
        batchSize: BigInt(size),
        computeInfer: dur(d),
      })),
  });
}

export function repositoryIndexMessage(
  entries: Array<{ name: string; version?: string; state: string; reason?: string }>,
  readyOnly: boolean,
): RepositoryIndexResponse {
  return create(RepositoryIndexResponseSchema, {
    models: entries
      .filter((e) => !readyOnly || e.state === 'READY')
      .map((e) => ({ name: e.name, version: e.version ?? '', state: e.state, reason: e.reason ?? '' })),
  });
}
