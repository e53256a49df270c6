// InferParameter maps (the oneof bool / int64 / string / double / uint64) ⇄ the DataPlane's
// Parameters (string | number | boolean). 64-bit integers become numbers only when exact.

import { create } from '@bufbuild/protobuf';
import { invalid } from '../core/errors.ts';
import type { Parameters } from '../core/tensor.ts';
import { type InferParameter, InferParameterSchema } from './gen/grpc_service_pb.ts';

/** `where` names the owner in errors: "request", "input 'x'", "output 'y'". */
export function fromInferParameters(map: { [key: string]: InferParameter }, where: string): Parameters | undefined {
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  const out: Parameters = {};
  for (const key of keys) {
    const choice = map[key].parameterChoice;
    switch (choice.case) {
      case 'boolParam':
      case 'stringParam':
      case 'doubleParam':
        out[key] = choice.value;
        break;
      case 'int64Param':
      case 'uint64Param': {
        const n = Number(choice.value);
        if (!Number.isSafeInteger(n))
          throw invalid(`${where} parameter '${key}': ${choice.value} is beyond the integers this server represents exactly (±2^53)`);
        out[key] = n;
        break;
      }
      default:
        throw invalid(`${where} parameter '${key}' has no value: set one of bool_param, int64_param, string_param, double_param, uint64_param`);
    }
  }
  return out;
}

export function toInferParameters(p: Parameters | undefined): { [key: string]: InferParameter } {
  const out: { [key: string]: InferParameter } = {};
  for (const [key, v] of Object.entries(p ?? {})) {
    const parameterChoice =
      typeof v === 'string'
        ? { case: 'stringParam' as const, value: v }
        : typeof v === 'boolean'
          ? { case: 'boolParam' as const, value: v }
          : Number.isSafeInteger(v)
            ? { case: 'int64Param' as const, value: BigInt(v) }
            : { case: 'doubleParam' as const, value: v };
    out[key] = create(InferParameterSchema, { parameterChoice });
  }
  return out;
}
