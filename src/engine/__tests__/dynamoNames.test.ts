/**
 * Module names of models exported by torch.onnx's dynamo exporter (torch's default since 2.9),
 * which records each node's module path in its metadata (`pkg.torch.onnx.name_scopes`) instead
 * of its name. One small ResNet exported by both exporters (scripts/make_dynamo_models.py): a
 * module name must mean the same layer, caption and map in the dynamo export as in the
 * TorchScript one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Explainer } from '../explainer';
import { readNpy } from '../io/npy';
import { ModuleNames, resolveLayer, UnknownLayerError } from '../layerNames';
import { LayerInfo } from '../layers';
import { GraphIndex } from '../onnx/graph';
import { decodeModel, ModelProto } from '../onnx/proto';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const DATA = path.join(ROOT, 'src/__tests__/data');
const DYNAMO = path.join(DATA, 'dynamo/small_resnet_dynamo.onnx');
const TORCHSCRIPT = path.join(DATA, 'dynamo/small_resnet_torchscript.onnx');
const INPUT = readNpy(
  new Uint8Array(fs.readFileSync(path.join(DATA, 'named/input_32.npy')))
);

function modelOf(file: string): ModelProto {
  return decodeModel(new Uint8Array(fs.readFileSync(file)));
}

function graphOf(model: ModelProto) {
  const index = new GraphIndex(model);
  return { modules: new ModuleNames(model, index), index };
}

async function layersOf(file: string): Promise<LayerInfo[]> {
  const explainer = await Explainer.load(
    new Uint8Array(fs.readFileSync(file)),
    { backend: 'wasm' }
  );
  try {
    return explainer.layers();
  } finally {
    await explainer.dispose();
  }
}

describe('module names of a dynamo export', () => {
  const graph = graphOf(modelOf(DYNAMO));

  it('a block is the output of its last node; [k], node and tensor names too', () => {
    expect(graph.modules.hasModules).toBe(true);
    for (const name of [
      'layer2.1',
      'layer2[1]',
      'layer2',
      ' layer2.1 ',
      'node_relu_8',
      'relu_8'
    ]) {
      expect([name, resolveLayer(name, [], graph)]).toEqual([name, 'relu_8']);
    }
    expect(graph.modules.moduleOf('relu_8')).toBe('layer2.1');
    expect(graph.modules.namesOf('relu_8').sort()).toEqual([
      'layer2',
      'layer2.1',
      'layer2.1.relu'
    ]);
    // The second call of a block's ReLU ends the module; the Add before it is the block's, unnamed.
    expect(resolveLayer('layer1.0.relu', [], graph)).toBe('relu_2');
    expect(graph.modules.namesOf('add')).toEqual([]);
  });

  it('a Conv with its BatchNorm folded in is named by both: its weight names the Conv', () => {
    // The dynamo exporter leaves the folded Conv in the BatchNorm's scope (`layer2.1.bn1`).
    for (const [modules, tensor] of [
      [['layer2.1.conv1', 'layer2.1.bn1'], 'getitem_24'],
      [['conv1', 'bn1'], 'getitem'],
      [
        [
          'layer2.0.downsample.0',
          'layer2.0.downsample.1',
          'layer2.0.downsample'
        ],
        'getitem_15'
      ]
    ] as const) {
      for (const module of modules) {
        expect([module, resolveLayer(module, [], graph)]).toEqual([
          module,
          tensor
        ]);
      }
    }
    expect(graph.modules.moduleOf('getitem_24')).toBe('layer2.1.conv1');
    expect(graph.modules.moduleOf('getitem_15')).toBe('layer2.0.downsample');
  });

  it('a tied weight (its module has nodes of its own) leaves the node in its scope', () => {
    const tied = modelOf(DYNAMO);
    const gemm = tied.graph.node.find(n => n.opType === 'Gemm')!;
    // As if fc used a weight of bn1, a sibling whose scope holds a node (the folded Conv).
    tied.graph.initializer.find(t => t.name === 'fc.weight')!.name =
      'bn1.weight';
    gemm.input[1] = 'bn1.weight';
    const names = graphOf(tied);
    expect(resolveLayer('fc', [], names)).toBe('output');
    expect(resolveLayer('bn1', [], names)).toBe('getitem');
    expect(names.modules.namesOf('output')).toEqual(['fc']);
  });

  it('a node outside every module, or without the metadata, has no module name', () => {
    // `torch.flatten` in the model's own forward: name_scopes ['', 'view'].
    expect(graph.modules.moduleOf('view')).toBeUndefined();
    const stripped = modelOf(DYNAMO);
    stripped.graph.node.forEach(n => (n.metadataProps = []));
    expect(graphOf(stripped).modules.hasModules).toBe(false);
  });

  it('a miss answers with the nearest module names', async () => {
    const layers = await layersOf(DYNAMO);
    let miss: unknown;
    try {
      resolveLayer('layr2.1', layers, graph);
    } catch (error) {
      miss = error;
    }
    expect(miss).toBeInstanceOf(UnknownLayerError);
    expect((miss as UnknownLayerError).message).toBe(
      "unknown layer 'layr2.1'; did you mean 'layer2.1', 'layer1.1', 'layer2.0'? (a layer is named by its module or its ONNX tensor; the layers verb lists them)"
    );
  });
});

describe('the same model by both exporters', () => {
  it('every module name of the TorchScript export means the layer at the same place, op and shape in the dynamo export', async () => {
    const [dynamo, torchscript] = [
      await layersOf(DYNAMO),
      await layersOf(TORCHSCRIPT)
    ];
    expect(dynamo.map(l => [l.op, l.shape])).toEqual(
      torchscript.map(l => [l.op, l.shape])
    );
    // The captions the panel shows are the same, and so is the default layer.
    expect(dynamo.map(l => l.label)).toEqual(torchscript.map(l => l.label));
    expect(dynamo.findIndex(l => l.default)).toBe(
      torchscript.findIndex(l => l.default)
    );
    const graph = graphOf(modelOf(DYNAMO));
    let named = 0;
    torchscript.forEach((layer, k) => {
      // The first name is the one a person would use; dynamo adds the folded BatchNorms.
      expect(dynamo[k].modules?.[0]).toBe(layer.modules?.[0]);
      for (const module of layer.modules ?? []) {
        expect(dynamo[k].modules).toContain(module);
        expect([module, resolveLayer(module, dynamo, graph)]).toEqual([
          module,
          dynamo[k].name
        ]);
        named++;
      }
    });
    // conv1, relu, maxpool; 4 blocks x (conv1, conv2, the block, its relu); layer1, layer2;
    // layer2.0.downsample and its .0.
    expect(named).toBe(3 + 4 * 4 + 2 + 2);
  });

  it('modules outside the layer list resolve to the same op in both', () => {
    const dynamo = graphOf(modelOf(DYNAMO));
    const torchscript = graphOf(modelOf(TORCHSCRIPT));
    const opOf = (g: typeof dynamo, module: string) =>
      g.index.producers.get(resolveLayer(module, [], g))!.opType;
    expect(opOf(dynamo, 'fc')).toBe('Gemm');
    expect(opOf(torchscript, 'fc')).toBe('Gemm');
    // AdaptiveAvgPool2d((1, 1)): GlobalAveragePool by TorchScript, ReduceMean by dynamo.
    expect(opOf(torchscript, 'avgpool')).toBe('GlobalAveragePool');
    expect(opOf(dynamo, 'avgpool')).toBe('ReduceMean');
    expect(
      torchscript.modules.modules.filter(m => !dynamo.modules.outputOf(m))
    ).toEqual([]);
  });

  it('Grad-CAM of a module name is the same map in both exports', async () => {
    const maps = async (file: string) => {
      const explainer = await Explainer.load(
        new Uint8Array(fs.readFileSync(file)),
        { backend: 'wasm' }
      );
      try {
        const result = await explainer.explain({
          feeds: { input: INPUT },
          layers: ['layer2.1', 'layer1.0.conv2'],
          targets: [3]
        });
        return result.maps.map(m => ({ layer: m.layer, raw: m.raw! }));
      } finally {
        await explainer.dispose();
      }
    };
    const [dynamo, torchscript] = [await maps(DYNAMO), await maps(TORCHSCRIPT)];
    expect(dynamo.map(m => m.layer)).toEqual(['relu_8', 'getitem_6']);
    expect(torchscript.map(m => m.layer)).toEqual([
      '/layer2/layer2.1/relu_1/Relu_output_0',
      '/layer1/layer1.0/conv2/Conv_output_0'
    ]);
    dynamo.forEach((map, k) => {
      const other = torchscript[k].raw;
      expect(map.raw.length).toBe(other.length);
      const peak = Math.max(...other);
      expect(peak).toBeGreaterThan(0);
      const largest = Math.max(
        ...map.raw.map((v, i) => Math.abs(v - other[i]))
      );
      expect(largest).toBeLessThan(1e-4 * peak);
    });
  });
});
