/**
 * Layers by module name (engine/layerNames.ts): torch-exported models (the shared fixtures, whose
 * manifest pairs each layer's torch module with its ONNX tensor, and a resnet18-layout model made
 * by scripts/make_named_models.py), the "did you mean" of a miss, the captions, and a model
 * whose nodes carry no module names.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer } from '../explainer';
import {
  isPlumbing,
  ModuleNames,
  nearestNames,
  resolveLayer,
  UnknownLayerError
} from '../layerNames';
import { GraphIndex } from '../onnx/graph';
import { decodeModel } from '../onnx/proto';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, '../shared/fixtures');
const NAMED = path.join(ROOT, 'src/__tests__/data/named');
const RESNET = path.join(NAMED, 'resnet18_narrow.onnx');

function graphOf(file: string) {
  const model = decodeModel(new Uint8Array(fs.readFileSync(file)));
  const index = new GraphIndex(model);
  return { modules: new ModuleNames(model, index), index };
}

function missOf(run: () => unknown): UnknownLayerError {
  try {
    run();
  } catch (error) {
    if (error instanceof UnknownLayerError) {
      return error;
    }
    throw error;
  }
  throw new Error('no error');
}

describe('module names of torch exports', () => {
  it("resolves every fixture case's torch module to its ONNX tensor", () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')
    );
    const pairs = new Map<string, [string, string, string]>();
    for (const c of manifest.cases) {
      if (c.layer_module) {
        pairs.set(`${c.model_file}:${c.layer_module}`, [
          c.model_file,
          c.layer_module,
          c.layer_tensor
        ]);
      }
    }
    // tiny_cnn, squeezenet, mobilenet and toy_vqa: two layers each.
    expect(pairs.size).toBe(8);
    for (const [file, module, tensor] of pairs.values()) {
      expect([
        module,
        resolveLayer(module, [], graphOf(path.join(FIXTURES, file)))
      ]).toEqual([module, tensor]);
    }
  });

  it('a resnet18 block is the output of its last node; [k], node and tensor names too', () => {
    const graph = graphOf(RESNET);
    const block = '/layer4/layer4.1/relu_1/Relu_output_0';
    for (const name of [
      'layer4.1',
      'layer4[1]',
      'layer4',
      ' layer4.1 ',
      '/layer4/layer4.1/relu_1/Relu',
      block
    ]) {
      expect(resolveLayer(name, [], graph)).toBe(block);
    }
    expect(resolveLayer('layer4.1.conv2', [], graph)).toBe(
      '/layer4/layer4.1/conv2/Conv_output_0'
    );
    expect(resolveLayer('layer2.0.downsample', [], graph)).toBe(
      '/layer2/layer2.0/downsample/downsample.0/Conv_output_0'
    );
    expect(graph.modules.moduleOf(block)).toBe('layer4.1');
    expect(graph.modules.namesOf(block).sort()).toEqual([
      'layer4',
      'layer4.1',
      'layer4.1.relu'
    ]);
  });

  it('efficientnet-style `_blocks.N` (a ModuleList never called as a whole)', () => {
    const graph = graphOf(path.join(NAMED, 'blocks_net.onnx'));
    expect(resolveLayer('_blocks.0', [], graph)).toBe(
      '/_blocks.0/Add_output_0'
    );
    // A stride-2 block has no residual Add: its output is the projection.
    expect(resolveLayer('_blocks.1', [], graph)).toBe(
      '/_blocks.1/_project_conv/Conv_output_0'
    );
    expect(resolveLayer('_blocks.3._swish', [], graph)).toBe(
      '/_blocks.3/_swish_1/Mul_output_0'
    );
  });
});

describe('a miss', () => {
  it('names the nearest three module names, not every layer', () => {
    const graph = graphOf(RESNET);
    const miss = missOf(() => resolveLayer('layer4.9', [], graph));
    expect(miss.suggestions).toEqual([]);
    const listed = graph.modules.modules.map(m => ({
      name: graph.modules.outputOf(m)!,
      modules: [m]
    }));
    const near = missOf(() => resolveLayer('layer4.9', listed, graph));
    expect(near.suggestions).toEqual(['layer4.0', 'layer4.1', 'layer4']);
    expect(near.message).toBe(
      "unknown layer 'layer4.9'; did you mean 'layer4.0', 'layer4.1', 'layer4'? (a layer is named by its module or its ONNX tensor; the layers verb lists them)"
    );
    expect(near.message).not.toContain('\n');
    // A typo, and a module's own end typed alone.
    expect(
      missOf(() => resolveLayer('layr3.0', listed, graph)).suggestions[0]
    ).toBe('layer3.0');
    expect(
      missOf(() => resolveLayer('conv2', listed, graph)).suggestions
    ).toEqual(['layer1.0.conv2', 'layer1.1.conv2', 'layer2.0.conv2']);
  });

  it('prefers names the typed text starts, then the nearest by edits', () => {
    expect(
      nearestNames('features.1', ['features.12', 'features.2', 'x'], 2)
    ).toEqual(['features.12', 'features.2']);
  });

  it('a model without module names says so and suggests tensors', () => {
    const layers = [
      { name: 'conv_out' },
      { name: 'relu_out' },
      { name: 'pool_out' }
    ];
    const miss = missOf(() => resolveLayer('layer4.1', layers));
    expect(miss.message).toMatch(
      /^unknown layer 'layer4\.1'; did you mean '.+', '.+', '.+'\? \(this model's nodes carry no module names/
    );
    const graph = graphOf(path.join(ROOT, 'src/__tests__/data/tiny_add.onnx'));
    expect(graph.modules.hasModules).toBe(false);
  });
});

describe('captions and plumbing', () => {
  it('resnet18: unique, readable, the block output named by its block', async () => {
    const explainer = await Explainer.load(
      new Uint8Array(fs.readFileSync(RESNET)),
      {
        backend: 'wasm'
      }
    );
    const layers = explainer.layers();
    await explainer.dispose();
    const labels = layers.map(l => l.label);
    expect(new Set(labels).size).toBe(labels.length);
    const byName = new Map(layers.map(l => [l.name, l]));
    expect(byName.get('/layer4/layer4.1/relu_1/Relu_output_0')).toMatchObject({
      label: 'layer4.1',
      modules: ['layer4.1', 'layer4', 'layer4.1.relu'],
      default: true
    });
    expect(byName.get('/layer4/layer4.1/relu/Relu_output_0')!.label).toBe(
      'layer4.1 / relu'
    );
    expect(byName.get('/layer1/layer1.0/Add_output_0')!.label).toBe(
      'layer1.0 / add'
    );
    expect(byName.get('/layer1/layer1.0/conv2/Conv_output_0')!.label).toBe(
      'layer1.0 / conv2'
    );
    expect(labels.filter(l => /relu_1|Relu/.test(l!))).toEqual([]);
  });

  it('mobilenet: numbered Sequential children say what they are; repeats get their block', () => {
    const graph = graphOf(
      path.join(FIXTURES, 'models/mobilenet_v3_small.onnx')
    );
    const captions = graph.modules.captions([
      '/features/features.0/features.0.0/Conv_output_0',
      '/features/features.12/features.12.2/HardSwish_output_0',
      '/features/features.2/block/block.0/block.0.0/Conv_output_0',
      '/features/features.3/block/block.0/block.0.0/Conv_output_0'
    ]);
    expect(captions).toEqual([
      'features.0 / conv',
      'features.12',
      'features.2 / block.0 / conv',
      'features.3 / block.0 / conv'
    ]);
  });

  it('plumbing ops are the ones that only move data', () => {
    for (const op of [
      'Pad',
      'Identity',
      'Shape',
      'Reshape',
      'Flatten',
      'Cast',
      'Constant'
    ]) {
      expect(isPlumbing(op)).toBe(true);
    }
    for (const op of [
      'Conv',
      'Relu',
      'Add',
      'Concat',
      'MaxPool',
      'Transpose'
    ]) {
      expect(isPlumbing(op)).toBe(false);
    }
  });
});
