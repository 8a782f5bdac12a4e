/**
 * Readable names for layers of exported PyTorch models, whose node names are module paths
 * (`/encoder/layers/encoder_layer_3/ln_1/LayerNormalization`): the shortest unique one of
 * the last two modules (`encoder_layer_3 / ln_1`), the last module and the node
 * (`encoder_layer_2 / Add_1`), or the last two modules and the node
 * (`encoder_layer_0 / mlp.0 / MatMul`). Sequential containers repeat their parent's name
 * (`features/features.3/features.3.1`): the parent is dropped.
 */
import { GraphIndex } from './onnx/graph';

/** A label per tensor (undefined where its producer's name is not a module path). */
export function layerLabels(
  tensors: string[],
  index: GraphIndex
): Array<string | undefined> {
  const parts = tensors.map(t => modulePath(index.producers.get(t)?.name));
  const choices = parts.map(p =>
    p
      ? [
          p.modules.slice(-2),
          [...p.modules.slice(-1), p.node],
          [...p.modules.slice(-2), p.node]
        ].map(c => c.join(' / '))
      : []
  );
  const counts = new Map<string, number>();
  choices.flat().forEach(c => counts.set(c, (counts.get(c) ?? 0) + 1));
  return choices.map(c =>
    c.length > 0
      ? (c.find(label => counts.get(label) === 1) ?? c[2])
      : undefined
  );
}

function modulePath(
  name: string | undefined
): { modules: string[]; node: string } | undefined {
  const segments = (name ?? '').split('/').filter(s => s.length > 0);
  if (!name?.startsWith('/') || segments.length < 2) {
    return undefined;
  }
  const modules = segments
    .slice(0, -1)
    .filter(
      (s, k, all) => k + 1 >= all.length || !all[k + 1].startsWith(`${s}.`)
    );
  return { modules, node: segments[segments.length - 1] };
}
