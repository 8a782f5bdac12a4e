/**
 * Layers of transformer exports (the repository refs made by scripts/make_fixtures.py from
 * torchvision's VisionTransformer, SwinTransformer, ConvNeXt and a DeiT-style model): layouts
 * and grids found from the graph, the transformer default layer, readable labels, and tensors
 * inside attention neither listed nor accepted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, LayerInfo } from '../engine';
import { readNpy } from '../engine/io/npy';

jest.setTimeout(120_000);

const REFS = path.resolve(__dirname, 'data/refs');

async function layersOf(model: string): Promise<LayerInfo[]> {
  const explainer = await load(model);
  const layers = explainer.layers();
  await explainer.dispose();
  return layers;
}

function load(model: string): Promise<Explainer> {
  return Explainer.load(
    new Uint8Array(fs.readFileSync(path.join(REFS, `${model}.onnx`))),
    { backend: 'wasm' }
  );
}

const byName = (layers: LayerInfo[], name: string) =>
  layers.find(l => l.name === name);

describe('layers of transformer exports', () => {
  it('ViT: tokens on the 4x4 patch grid after 1 class token; nothing inside attention', async () => {
    const layers = await layersOf('small_vit');
    const tokens = layers.filter(l => l.layout === 'tokens');
    expect(tokens.length).toBeGreaterThan(20);
    for (const l of tokens) {
      expect(l.grid).toEqual([4, 4]);
      expect(l.shape[1]).toBe(16 + l.extra_tokens!);
    }
    // The patch tokens before the class token is concatenated have none.
    expect(byName(layers, '/Transpose_output_0')).toMatchObject({
      layout: 'tokens',
      extra_tokens: 0
    });
    expect(byName(layers, '/conv_proj/Conv_output_0')).toMatchObject({
      layout: 'NCHW',
      grid: [4, 4]
    });
    // Per-head tensors, scores and sequence-first tensors are not layers.
    expect(layers.filter(l => /self_attention/.test(l.name))).toEqual([]);
    expect(layers.every(l => l.shape[0] === 1)).toBe(true);
    expect(layers.filter(l => l.default).map(l => l.name)).toEqual([
      '/encoder/layers/encoder_layer_0/Add_1_output_0'
    ]);
    expect(
      byName(
        layers,
        '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0'
      )?.label
    ).toBe('encoder_layer_1 / ln_1');
  });

  it('DeiT-style: class and distillation tokens make 2 extra tokens', async () => {
    const layers = await layersOf('small_deit');
    const block = byName(layers, '/blocks/encoder_layer_0/Add_1_output_0');
    expect(block).toMatchObject({
      layout: 'tokens',
      grid: [4, 4],
      extra_tokens: 2,
      shape: [1, 18, 32],
      default: true
    });
  });

  it('Swin (opset 14, LayerNorm decomposed): channels-last 8x8 then 4x4 after patch merging; no windows', async () => {
    const layers = await layersOf('small_swin');
    expect(layers.filter(l => l.layout === 'NHWC').length).toBeGreaterThan(20);
    const stage = '/features/features.3/features.3.0/Add_1_output_0';
    expect(layers.filter(l => l.default).map(l => l.name)).toEqual([stage]);
    expect(byName(layers, stage)).toMatchObject({
      layout: 'NHWC',
      grid: [4, 4],
      shape: [1, 4, 4, 32]
    });
    expect(
      byName(layers, '/features/features.1/features.1.1/Add_1_output_0')
    ).toMatchObject({ layout: 'NHWC', grid: [8, 8] });
    // Window partitions ([windows, 16, C]), shifted windows and attention are not layers.
    expect(layers.every(l => l.shape[0] === 1)).toBe(true);
    expect(layers.filter(l => /attn/.test(l.name))).toEqual([]);
    expect(byName(layers, '/permute/Transpose_output_0')).toMatchObject({
      layout: 'NCHW',
      grid: [4, 4]
    });
  });

  it('ConvNeXt: NHWC and NCHW tensors of the same dims [1, 8, 8, 8] told apart by the graph', async () => {
    const layers = await layersOf('small_convnext');
    const block = '/features/features.1/features.1.0/block';
    expect(
      byName(layers, `${block}/block.2/LayerNormalization_output_0`)
    ).toMatchObject({ layout: 'NHWC', shape: [1, 8, 8, 8], grid: [8, 8] });
    expect(byName(layers, `${block}/block.0/Conv_output_0`)).toMatchObject({
      layout: 'NCHW',
      shape: [1, 8, 8, 8],
      grid: [8, 8]
    });
    expect(layers.filter(l => l.default).map(l => l.name)).toEqual([
      '/features/features.3/features.3.0/Add_output_0'
    ]);
  });
});

describe('explaining at transformer layers', () => {
  const input = () =>
    readNpy(
      new Uint8Array(fs.readFileSync(path.join(REFS, 'small_vit_input.npy')))
    );

  it('refuses a tensor inside attention, naming it, for gradient and forward methods', async () => {
    const explainer = await load('small_vit');
    const scores =
      '/encoder/layers/encoder_layer_1/self_attention/Softmax_output_0';
    for (const method of ['gradcam', 'eigencam'] as const) {
      await expect(
        explainer.explain({
          feeds: { input: input() },
          method,
          layers: [scores]
        })
      ).rejects.toThrow(
        `layer '${scores}' (shape [1, 2, 17, 17]) has no image grid`
      );
    }
    await explainer.dispose();
  });

  it('ablationcam says it does not support token layers yet', async () => {
    const explainer = await load('small_vit');
    await expect(
      explainer.explain({ feeds: { input: input() }, method: 'ablationcam' })
    ).rejects.toThrow(
      "ablationcam does not support tokens layers yet ('/encoder/layers/encoder_layer_0/Add_1_output_0')"
    );
    await explainer.dispose();
  });

  it('a token layer gives a raw map on its grid and a map at the image size', async () => {
    const explainer = await load('small_deit');
    const result = await explainer.explain({
      feeds: { input: input() },
      method: 'gradcam',
      targets: [2]
    });
    expect(result.maps[0].rawSize).toEqual({ height: 4, width: 4 });
    expect(result.maps[0].size).toEqual({ height: 32, width: 32 });
    expect(Math.max(...result.maps[0].map)).toBeCloseTo(1, 5);
    await explainer.dispose();
  });
});
