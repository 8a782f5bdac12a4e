/** Short names for what the panel lists (pure: no DOM). */
import { isPlumbing } from '../engine/layerNames';
import type { ILayer } from './tokens';

/**
 * A thumbnail's caption for a layer: exporters name tensors like
 * `/features/block4/relu/Relu_output_0`; the last two module names (`block4/relu`) tell the
 * layers apart in a strip. The button's title keeps the full name.
 */
export function shortLayerName(name: string): string {
  const parts = name
    .replace(/_output_\d+$/, '')
    .split('/')
    .filter(p => p !== '');
  if (
    parts.length > 1 &&
    parts[parts.length - 1].toLowerCase() ===
      parts[parts.length - 2].toLowerCase()
  ) {
    parts.pop();
  }
  return parts.slice(-2).join('/') || name;
}

/** A layer's caption: the engine's unique label (`layer4.1 / relu`), else the short tensor name. */
export function layerCaption(
  layers: readonly ILayer[],
  tensor: string
): string {
  return layers.find(l => l.name === tensor)?.label ?? shortLayerName(tensor);
}

/**
 * The layers the layer select lists: plumbing (Pad, Identity, Reshape, ...: maps that repeat
 * their input's) is hidden unless `all`; the default and the chosen layer are always listed.
 */
export function listedLayers(
  layers: readonly ILayer[],
  all: boolean,
  chosen: string
): ILayer[] {
  return layers.filter(
    l => all || !isPlumbing(l.op) || l.isDefault || l.name === chosen
  );
}

/** The line under the layer select: the ONNX tensor and the module names that mean it. */
export function layerNamesLine(layer: ILayer | undefined): string {
  if (!layer) {
    return '';
  }
  const [module, ...also] = layer.modules ?? [];
  const named = module
    ? ` \u00b7 module ${module}` +
      (also.length ? ` (also ${also.join(', ')})` : '')
    : '';
  return `ONNX ${layer.name}${named}`;
}

/** What an export's file name is made of. */
export interface IExportNaming {
  /** The class name ('' when the class has none). */
  className: string;
  /** The class index; null for maps without a class. */
  target: number | null;
  /** The layer's tensor; null for maps of the input (guided backpropagation). */
  layer: string | null;
  /** The model's layers, for their module names and captions. */
  layers: readonly ILayer[];
  /** The method shown. */
  method: string;
}

/**
 * An export's file name, by class name, layer and method (`tabby_cat-layer4.1-gradcam.png`), in
 * characters every file system takes: the module name (or caption) of the layer, `input` for
 * maps of the input, `class_7` for a class without a name.
 */
export function exportFileName(naming: IExportNaming): string {
  const layer =
    naming.layer === null
      ? 'input'
      : layerFileName(
          naming.layers.find(l => l.name === naming.layer),
          naming.layer
        );
  const className =
    naming.className ||
    (naming.target === null ? '' : `class_${naming.target}`);
  const parts = [className, layer, naming.method].map(safeName).filter(Boolean);
  return `${parts.join('-')}.png`;
}

function layerFileName(layer: ILayer | undefined, tensor: string): string {
  return layer?.modules?.[0] ?? layer?.label ?? shortLayerName(tensor);
}

/**
 * Letters, digits, `.`, `+`, `-` and `_` only (others become one `_`; `_blocks.0` keeps its `_`), no
 * leading dot (a hidden file), at most 60 characters.
 */
export function safeName(text: string): string {
  return text
    .trim()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\w.+-]+/g, '_')
    .replace(/^\.+|_+$/g, '')
    .slice(0, 60);
}
