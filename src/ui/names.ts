/** Short names for what the panel lists (pure: no DOM). */

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
