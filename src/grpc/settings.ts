// Triton's LogSettings and TraceSetting messages to and from the plain settings objects the
// REST routes use (src/observability LogControl / TraceControl), so both transports share one
// set of rules: a LogSettings value is a bool, uint32 or string param; a TraceSetting value is a
// list of strings (trace_level may hold several; an empty list clears a model's own setting).

import { create } from '@bufbuild/protobuf';
import type { LogSettings } from '../observability/logger.ts';
import type { TraceSettings } from '../observability/tracing.ts';
import {
  type LogSettingsRequest,
  type LogSettingsResponse,
  LogSettingsResponseSchema,
  LogSettingsResponse_SettingValueSchema,
  type TraceSettingRequest,
  type TraceSettingResponse,
  TraceSettingResponseSchema,
  TraceSettingResponse_SettingValueSchema,
} from './gen/grpc_service_pb.ts';

export function logSettingsRequest(r: LogSettingsRequest): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, v.parameterChoice.value ?? null]));
}

export function logSettingsMessage(s: Readonly<LogSettings>): LogSettingsResponse {
  const settings: LogSettingsResponse['settings'] = {};
  for (const [k, v] of Object.entries(s)) {
    settings[k] = create(LogSettingsResponse_SettingValueSchema, {
      parameterChoice:
        typeof v === 'boolean'
          ? { case: 'boolParam', value: v }
          : typeof v === 'number'
            ? { case: 'uint32Param', value: v }
            : { case: 'stringParam', value: String(v) },
    });
  }
  return create(LogSettingsResponseSchema, { settings });
}

export function traceSettingsRequest(r: TraceSettingRequest): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(r.settings).map(([k, v]) => [k, v.value.length === 0 ? null : k === 'trace_level' ? v.value : v.value.length === 1 ? v.value[0] : v.value]),
  );
}

export function traceSettingsMessage(s: TraceSettings): TraceSettingResponse {
  const settings: TraceSettingResponse['settings'] = {};
  for (const [k, v] of Object.entries(s)) settings[k] = create(TraceSettingResponse_SettingValueSchema, { value: Array.isArray(v) ? v : [v] });
  return create(TraceSettingResponseSchema, { settings });
}
