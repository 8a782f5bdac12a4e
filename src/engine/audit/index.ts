/**
 * The data-set audit: explains N images chunk by chunk, keeps per image only what scales (top-k,
 * scores, the raw map at layer resolution), then finds per class the mean map, where the maps
 * peak, clusters of explanations (spectral, eigengap), the energy outside the objects, and flags
 * a region that drives a class, confirmed by a causal test against a control region.
 */
export { runAudit } from './run';
export { imagesFromTensor } from './source';
export { AuditError } from './errors';
export type * from './types';
