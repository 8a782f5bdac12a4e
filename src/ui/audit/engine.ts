/**
 * The engine's audit in the page: an Explainer for the model's bytes, runAudit over the images,
 * and the Explainer's sessions freed at the end (an audit holds nothing between runs).
 */
import { Explainer } from '../../engine';
import { runAudit } from '../../engine/audit';
import type { AuditRunner } from './tokens';

/** Runs the engine's audit (the real one: onnxruntime-web in this page). */
export const runAuditInPage: AuditRunner = async (
  model,
  images,
  options,
  run
) => {
  const explainer = await Explainer.load(model, { backend: run.backend });
  try {
    return await runAudit(explainer, images, options, {
      signal: run.signal,
      onProgress: run.onProgress
    });
  } finally {
    await explainer.dispose();
  }
};
