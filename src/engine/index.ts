/**
 * The engine's public API: what the panel and the command line import. Pure TypeScript without
 * JupyterLab; runs in Node and in the browser. (Image-file decoding for the CLI lives in
 * `io/imageFile.ts`, outside this index, because it needs Node.)
 */
export { Explainer, ExplainError } from './explainer';
export type {
  ExplainedMap,
  ExplainRequest,
  Explanation,
  InputInfo,
  LoadOptions,
  PredictOptions,
  Prediction,
  ProgressCallback,
  RequestPart,
  RunOptions
} from './explainer';
export { methodFor } from './cam';
export { isMethodName, METHOD_NAMES, METHODS, methodTraits } from './methods';
export type { MethodKind, MethodName, MethodTraits } from './methods';
export { combineLayerMaps } from './cam/base';
export { candidateLayers, defaultLayer } from './layers';
export type { LayerInfo } from './layers';
export * from './image';
export { readNpy, writeNpy, toFloat32, NpyError } from './io/npy';
export { configureWasm, RuntimeError, runtimeBroken } from './runtime';
export type { Backend } from './runtime';
export { GradientError } from './autodiff/rule';
export { ModelFormatError } from './onnx/proto';
export { float32, sizeOf } from './tensor';
export type { Tensor, DType } from './tensor';
export * from './metrics';
export { runAudit, imagesFromTensor, AuditError } from './audit';
export type * from './audit/types';
