/**
 * Layers of transformer exports (the repository refs made by scripts/make_fixtures.py from
 * torchvision's VisionTransformer, SwinTransformer, ConvNeXt and a DeiT-style model): layouts
 * and grids found from the graph, the transformer default layer, readable labels, and tensors
 * inside attention neither listed nor accepted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer, LayerInfo } from '../engine';
import { forwardModel } from '../engine/autodiff/__tests__/harness';
import { readNpy } from '../engine/io/npy';
import { attr } from '../engine/onnx/attributes';
import { encodeModel } from '../engine/onnx/proto';

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
    // A block's output is named by its block.
    expect(
      byName(layers, '/encoder/layers/encoder_layer_0/Add_1_output_0')
    ).toMatchObject({
      label: 'encoder_layer_0',
      modules: ['encoder.layers.encoder_layer_0']
    });
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

describe('register tokens (DINOv2-style)', () => {
  /**
   * A patch Conv (8x8 image, 2x2 patches: a 4x4 grid), a class token, then 4 register tokens
   * inserted after it as DINOv2 does (cat(x[:, :1], registers, x[:, 1:])), a LayerNorm, one
   * attention, a residual Add and the class token's logits.
   */
  function registersModel(): { bytes: Uint8Array; tokens: string } {
    let tokens = '';
    const { model } = forwardModel({
      opset: 17,
      inputs: { image: [1, 3, 8, 8] },
      build: g => {
        const w = (dims: number[], hint: string) =>
          g.floats(
            Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) =>
              Math.sin(i + hint.length)
            ),
            dims,
            hint
          );
        const patches = g.op(
          'Conv',
          ['image', w([4, 3, 2, 2], 'patch')],
          [
            attr.ints('kernel_shape', [2, 2]),
            attr.ints('strides', [2, 2]),
            attr.ints('pads', [0, 0, 0, 0]),
            attr.ints('dilations', [1, 1])
          ]
        );
        const grid = g.op(
          'Transpose',
          [g.op('Reshape', [patches, g.ints([1, 4, 16])])],
          [attr.ints('perm', [0, 2, 1])]
        );
        const withCls = g.op(
          'Concat',
          [w([1, 1, 4], 'cls'), grid],
          [attr.int('axis', 1)]
        );
        const part = (start: number, end: number) =>
          g.op('Slice', [withCls, g.ints([start]), g.ints([end]), g.ints([1])]);
        tokens = g.op(
          'Concat',
          [part(0, 1), w([1, 4, 4], 'registers'), part(1, 17)],
          [attr.int('axis', 1)]
        );
        const normed = g.op(
          'LayerNormalization',
          [tokens, w([4], 'scale')],
          [attr.int('axis', -1)]
        );
        const scores = g.op('MatMul', [
          g.op('MatMul', [normed, w([4, 4], 'q')]),
          g.op('Transpose', [normed], [attr.ints('perm', [0, 2, 1])])
        ]);
        const attended = g.op('MatMul', [
          g.op('Softmax', [scores], [attr.int('axis', -1)]),
          normed
        ]);
        const block = g.op('Add', [tokens, attended]);
        const cls = g.op(
          'Gather',
          [block, g.ints([0], [], 'cls_index')],
          [attr.int('axis', 1)]
        );
        return g.op('MatMul', [cls, w([4, 3], 'head')]);
      }
    });
    return { bytes: encodeModel(model), tokens };
  }

  it('count as leading extra tokens: class + 4 registers = 5 before the 4x4 grid', async () => {
    const { bytes, tokens } = registersModel();
    const explainer = await Explainer.load(bytes, { backend: 'wasm' });
    const layers = explainer.layers();
    expect(layers.find(l => l.default)).toMatchObject({
      name: tokens,
      layout: 'tokens',
      grid: [4, 4],
      extra_tokens: 5,
      shape: [1, 21, 4]
    });
    const image = {
      dtype: 'float32' as const,
      dims: [1, 3, 8, 8],
      data: Float32Array.from({ length: 192 }, (_, i) => Math.cos(i))
    };
    const result = await explainer.explain({
      feeds: { image },
      targets: [1]
    });
    expect(result.maps[0].rawSize).toEqual({ height: 4, width: 4 });
    await explainer.dispose();
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
