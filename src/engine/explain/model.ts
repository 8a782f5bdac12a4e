/**
 * One loaded model: its graph, the inputs a user feeds, its outputs, the tensor whose score each
 * output's targets index, its candidate layers for the declared input shape, and its sessions.
 */
import { ModuleNames, resolveLayer, UnknownLayerError } from '../layerNames';
import { candidateLayers, defaultLayer, LayerInfo } from '../layers';
import { withFreeBatch } from '../onnx/cut';
import { GraphIndex } from '../onnx/graph';
import { decodeModel, ModelProto } from '../onnx/proto';
import { upgradeModel } from '../onnx/upgrade';
import { float32, sizeOf, Tensor } from '../tensor';
import { asDeclared, declaredInputs } from './inputs';
import { ModelSessions } from './sessions';
import { ExplainError, InputInfo, LoadOptions } from './types';

/** The tensor whose score is explained for an output. */
export interface ScoresTensor {
  /** The graph output the targets index. */
  output: string;
  /** The output itself, or the input of the Softmax it comes straight from. */
  tensor: string;
  /** Set when `tensor` is not the output: says which tensor is explained and why. */
  note?: string;
}

/** A decoded model ready to run; call `dispose` when done. */
export class LoadedModel {
  /** Decodes the model, measures its shapes for the declared input and lists its layers. */
  static async load(
    bytes: Uint8Array,
    options: LoadOptions = {}
  ): Promise<LoadedModel> {
    // Old model-zoo files (opset 7-10) lack ops the backward graph needs: raise them first.
    const proto = upgradeModel(
      decodeModel(bytes, options.externalData ?? {})
    ).model;
    const model = new LoadedModel(proto, options);
    await model.listDeclaredLayers();
    return model;
  }

  private constructor(
    /** The upgraded model as decoded. */
    readonly proto: ModelProto,
    options: LoadOptions
  ) {
    this.index = new GraphIndex(proto);
    this.inputs = declaredInputs(this.index);
    this.outputs = proto.graph.output.map(o => o.name);
    this.sessions = new ModelSessions(withFreeBatch(proto), this.index, {
      backend: options.backend ?? 'auto',
      cacheSize: options.cacheSize ?? 6
    });
  }

  /** The graph's producers, initializers and constants. */
  readonly index: GraphIndex;
  /** The graph inputs a user feeds. */
  readonly inputs: readonly InputInfo[];
  /** The graph outputs, by name. */
  readonly outputs: readonly string[];
  /** The model's sessions and shape passes. */
  readonly sessions: ModelSessions;

  /** The candidate layers for the declared input shape (empty when it could not run). */
  get declaredLayers(): readonly LayerInfo[] {
    return this._declaredLayers;
  }

  /** The default layer for the declared input shape, if the model has a candidate. */
  get defaultLayer(): string | undefined {
    return defaultLayer(this._declaredLayers);
  }

  /** The first 4-D input: the image. */
  get imageInput(): string | undefined {
    return this.inputs.find(i => i.shape.length === 4)?.name;
  }

  /** The candidate layers for the shapes of these (checked) feeds. */
  async layersFor(
    feeds: Record<string, Tensor>,
    targetOutput?: string
  ): Promise<LayerInfo[]> {
    const shapes = await this.sessions.shapes(feeds);
    return candidateLayers(
      this.proto,
      shapes,
      this.scoresTensor(targetOutput).output
    );
  }

  /** The output of this name (the first output when absent), or an error listing the outputs. */
  outputName(name?: string): string {
    if (name === undefined) {
      return this.outputs[0];
    }
    if (!this.outputs.includes(name)) {
      throw new ExplainError(
        `target output '${name}' is not an output of the model; its outputs are ${this.outputs.join(', ')}`,
        'targetOutput'
      );
    }
    return name;
  }

  /** The tensor explained for an output: the input of a final Softmax (pre-softmax scores). */
  scoresTensor(name?: string): ScoresTensor {
    const output = this.outputName(name);
    const producer = this.index.producers.get(output);
    if (producer?.opType === 'Softmax' && producer.input[0]) {
      return {
        output,
        tensor: producer.input[0],
        note: `output '${output}' comes straight from a Softmax: the target is its input '${producer.input[0]}' (scores before the softmax)`
      };
    }
    return { output, tensor: output };
  }

  /**
   * The tensor a layer name means: an ONNX tensor, or a module name of a torch export
   * (`layer4.1`: its block's output); a miss is an ExplainError with the nearest few names.
   */
  resolveLayer(name: string): string {
    this._modules ??= new ModuleNames(this.proto, this.index);
    try {
      return resolveLayer(name, this._declaredLayers, {
        modules: this._modules,
        index: this.index
      });
    } catch (error) {
      if (error instanceof UnknownLayerError) {
        throw new ExplainError(error.message, 'layers');
      }
      throw error;
    }
  }

  /** Releases every session. The model cannot run afterwards. */
  dispose(): Promise<void> {
    return this.sessions.dispose();
  }

  /**
   * Lists the layers for the declared input shape. Symbolic dims are taken as 1, except the
   * height and width of a 4-D input (224, a usual image size). A model that cannot run on those
   * zeros still loads: its layers are then measured on the first request's inputs.
   */
  private async listDeclaredLayers(): Promise<void> {
    const feeds: Record<string, Tensor> = {};
    for (const input of this.inputs) {
      const dims = input.shape.map((d, k) =>
        typeof d === 'number' ? d : input.shape.length === 4 && k >= 2 ? 224 : 1
      );
      feeds[input.name] = asDeclared(
        float32(new Float32Array(sizeOf(dims)), dims),
        input
      );
    }
    try {
      const shapes = await this.sessions.shapes(feeds);
      this._declaredLayers = candidateLayers(
        this.proto,
        shapes,
        this.outputs[0]
      );
    } catch {
      this._declaredLayers = [];
    }
  }

  private _declaredLayers: LayerInfo[] = [];
  private _modules: ModuleNames | undefined;
}
