// Moved to src/core/model-config.ts (core owns the model config schema). Kept as a re-export
// while modules written against the old path are updated.
export * from '../core/model-config.ts';
