/**
 * What a user should know about a model before its maps: `checkModel`'s refusal (thrown, as a
 * sentence naming the node, tensor or input) and, for a model it accepts, the noteworthy things
 * the engine will work around (an old opset raised, a head that pins the batch, symbolic sizes).
 */
import { fixedBatchNode } from './batch';
import { defaultOpset, readModel } from './proto';
import { UPGRADED_OPSET } from './upgrade';
import { checkModel } from './validate';

/** Checks the model's bytes (throws `checkModel`'s sentence) and lists what is noteworthy. */
export function modelNotes(bytes: Uint8Array): string[] {
  const model = readModel(bytes);
  checkModel(model);
  const notes: string[] = [];
  const opset = defaultOpset(model);
  if (opset < UPGRADED_OPSET) {
    notes.push(
      `the model imports opset ${opset}; the engine raises it to ${UPGRADED_OPSET} before compiling gradients`
    );
  }
  const pinned = fixedBatchNode(model);
  if (pinned) {
    notes.push(
      `node '${pinned.name || pinned.opType}' (${pinned.opType}) fixes the batch at 1: rows run one at a time (slower for Score-CAM and Ablation-CAM)`
    );
  }
  for (const input of model.graph.input) {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    const symbolic = dims.filter(d => d.dimParam || d.dimValue === undefined);
    if (dims.length === 4 && symbolic.length > 1) {
      notes.push(
        `input '${input.name}' has symbolic sizes: layers are measured at the image's size`
      );
    }
  }
  return notes;
}
