/**
 * The engine's facade, shared by the panel and the command line: one model, loaded once; its
 * inputs, outputs and candidate layers; predictions; and explanations by any method for several
 * images, several targets and several layers from one run of one cached session.
 *
 * How a request runs. Gradient methods compile the backward graph once per (layers, target
 * tensor, method, ReLU rule, inputs, image shape), with the method's map built in the graph, and
 * run it once per image and target (a one-hot seed each): every layer comes from one run, and
 * the session serves any number of images and targets. Gradient-free methods run
 * the forward model with the layers exposed (Eigen-CAM), with masked images (Score-CAM), or the
 * head cut at the layer on ablated activations (Ablation-CAM). Models whose own graph fixes the
 * batch size are run one row at a time instead.
 */
import { CompiledModel, compileGradients } from './autodiff/compile';
import { GradientError } from './autodiff/rule';
import {
  finishCam,
  ForwardCam,
  GradientCam,
  InputMapMethod,
  LayerData,
  LayerMap,
  MethodName,
  methodFor,
  ScoreProbe
} from './cam';
import { appendCams, GraphCam } from './cam/graph';
import { MapSize } from './image';
import { candidateLayers, LayerInfo } from './layers';
import { cutAtLayer, exposeTensors, withFreeBatch } from './onnx/cut';
import { GraphIndex } from './onnx/graph';
import { decodeModel, encodeModel, ModelProto } from './onnx/proto';
import { measureShapes } from './onnx/shapes';
import { upgradeModel } from './onnx/upgrade';
import { Backend, createSession, Session } from './runtime';
import { DType, float32, sizeOf, Tensor, TensorArray } from './tensor';

/** Raised for a request the model cannot answer: names the argument and what would be right. */
export class ExplainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainError';
  }
}

/** Options of `Explainer.load`. */
export interface LoadOptions {
  /** Where onnxruntime runs: webgpu when available ('auto'), or as asked. */
  backend?: Backend;
  /** External data files by the name the model refers to (PyTorch's `model.onnx.data`). */
  externalData?: Record<string, Uint8Array>;
  /** Sessions kept at once; the least recently used beyond it are released (default 6). */
  cacheSize?: number;
}

/** A graph input as declared; symbolic dims are strings. */
export interface InputInfo {
  name: string;
  shape: (number | string)[];
  /** The declared element type; feeds are converted to it (float32 for images). */
  dtype: DType;
}

/** One class of an output with its score. */
export interface Prediction {
  /** Index along the output's last axis (flattened per image). */
  index: number;
  /** The raw output value. */
  score: number;
  /** Its softmax over the output (the value itself when the output is a Softmax's). */
  probability: number;
}

/** Options of `predict`. */
export interface PredictOptions {
  /** How many classes per image, best first (all when absent). */
  top?: number;
  /** The output holding the scores; the first output by default. */
  targetOutput?: string;
  /** Cancels the run. */
  signal?: AbortSignal;
}

/** What to explain. */
export interface ExplainRequest {
  /** The graph inputs, batch axis first (N images). */
  feeds: Record<string, Tensor>;
  /** The method; gradcam by default. */
  method?: MethodName;
  /** Layer tensors; the default layer when absent. Ignored by guided-backprop, input-gradient. */
  layers?: string[];
  /** Class indices explained for every image; when absent, the `top` best of each image. */
  targets?: number[];
  /** With `targets` absent: how many of each image's best classes (1 by default). */
  top?: number;
  /** The output holding the scores; the first output by default. */
  targetOutput?: string;
  /** The input differentiated by guided-backprop and input-gradient; the first 4-D input. */
  wrt?: string;
}

/** Reports progress: a fraction in [0, 1] and what is being done. */
export type ProgressCallback = (fraction: number, message: string) => void;

/** Cancellation and progress of one request. */
export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** One map of an explanation: one image, one target, one layer (or none). */
export interface ExplainedMap {
  /** The image's index in the batch. */
  image: number;
  /** The target class; null for eigencam, which has none. */
  target: number | null;
  /** The layer tensor; null for guided-backprop and input-gradient. */
  layer: string | null;
  /**
   * The result (for CAM methods computed on first access, as is `upsampled`): the displayed map
   * (H x W, in [0, 1]) for CAM methods; the gradient image
   * (C x H x W) for guided-backprop and guided-gradcam; the `wrt` input's item for input-gradient.
   */
  map: Float32Array;
  /** The shape of `map` (without the batch axis). */
  dims: number[];
  /** Height and width of `map` (1 x length for a non-image input-gradient). */
  size: MapSize;
  /** 1 for a map; the image's channels for gradient images. */
  channels: number;
  /** The raw map `max(cam, 0)` at layer resolution, un-normalised (CAM methods). */
  raw?: Float32Array;
  /** Height and width of `raw`. */
  rawSize?: MapSize;
  /** The first normalisation pass at input size, for combining layers (CAM methods). */
  upsampled?: Float32Array;
}

/** The answer to one request. */
export interface Explanation {
  method: MethodName;
  /** The output the targets index. */
  targetOutput: string;
  /** The tensor whose score is explained: the output, or the input of its Softmax. */
  targetTensor: string;
  /** Set when the target is not the output itself (e.g. the logits before a Softmax). */
  targetNote?: string;
  /** The images' size (H x W). */
  imageSize: MapSize;
  /** The targets of each image, in the order of the maps. */
  targets: number[][];
  /** The target scores y of each image, same order. */
  scores: number[][];
  /** The layers explained (empty for input methods). */
  layers: string[];
  /** Every map: images x targets x layers. */
  maps: ExplainedMap[];
  /** The backend the runs used. */
  backend: string;
}

/** What the explainer keeps of a shape pass. */
interface MeasuredShapes {
  shapes: ReadonlyMap<string, number[]>;
  constants: Record<string, Tensor>;
}

/** An ONNX model ready to explain. Create with `Explainer.load`; call `dispose` when done. */
export class Explainer {
  /** Decodes the model, measures its shapes for the declared input and lists its layers. */
  static async load(
    bytes: Uint8Array,
    options: LoadOptions = {}
  ): Promise<Explainer> {
    // Old model-zoo files (opset 7-10) lack ops the backward graph needs: raise them first.
    const model = upgradeModel(
      decodeModel(bytes, options.externalData ?? {})
    ).model;
    const explainer = new Explainer(model, options);
    await explainer.init();
    return explainer;
  }

  private constructor(
    private readonly model: ModelProto,
    options: LoadOptions
  ) {
    this.requestedBackend = options.backend ?? 'auto';
    this.cacheSize = options.cacheSize ?? 6;
    this.index = new GraphIndex(model);
    this.freeModel = withFreeBatch(model);
    this.inputs = this.index.inputs.map(i => ({
      name: i.name,
      shape: (i.type?.tensorType?.shape?.dim ?? []).map(d =>
        d.dimValue !== undefined && Number(d.dimValue) > 0
          ? Number(d.dimValue)
          : (d.dimParam ?? '?')
      ),
      dtype: DTYPES[i.type?.tensorType?.elemType ?? 1] ?? 'float32'
    }));
    this.outputs = model.graph.output.map(o => o.name);
  }

  /** The graph inputs a user feeds. */
  readonly inputs: readonly InputInfo[];
  /** The graph outputs, by name. */
  readonly outputs: readonly string[];

  /** The backend sessions run on ('webgpu' or 'wasm'; known after the first run). */
  get backend(): string {
    return this.lastBackend;
  }

  /** The candidate layers for the declared input shape (symbolic dims taken as 1). */
  layers(): LayerInfo[] {
    return this.declaredLayers.map(l => ({ ...l, shape: [...l.shape] }));
  }

  /** The candidate layers for the shapes of these feeds. */
  async layersFor(
    feeds: Record<string, Tensor>,
    targetOutput?: string
  ): Promise<LayerInfo[]> {
    const checked = this.checkFeeds(feeds);
    const shapes = await this.shapes(checked);
    return candidateLayers(
      this.model,
      shapes,
      this.scoresTensor(targetOutput).output
    );
  }

  /** The default layer for the declared input shape, if the model has a candidate. */
  get defaultLayer(): string | undefined {
    return this.declaredLayers.find(l => l.default)?.name;
  }

  /** The first 4-D input: the image. */
  get imageInput(): string | undefined {
    return this.inputs.find(i => i.shape.length === 4)?.name;
  }

  /** The classes of each image, best first. */
  async predict(
    feeds: Record<string, Tensor>,
    options: PredictOptions = {}
  ): Promise<Prediction[][]> {
    const checked = this.checkFeeds(feeds);
    const output = this.outputName(options.targetOutput);
    const values = await this.forward(checked, [output], options.signal);
    const rows = splitRows(values[output], batchOf(checked));
    const fromSoftmax = this.index.producers.get(output)?.opType === 'Softmax';
    return rows.map(row => {
      const probabilities = fromSoftmax ? Float64Array.from(row) : softmax(row);
      const ranked = Array.from(row, (score, index) => ({
        index,
        score,
        probability: probabilities[index]
      })).sort((a, b) => b.score - a.score || a.index - b.index);
      return options.top !== undefined ? ranked.slice(0, options.top) : ranked;
    });
  }

  /** Explains the request; see `Explanation` for what comes back. */
  async explain(
    request: ExplainRequest,
    options: RunOptions = {}
  ): Promise<Explanation> {
    const method = methodFor(request.method ?? 'gradcam');
    const feeds = this.checkFeeds(request.feeds);
    const progress = options.onProgress ?? (() => undefined);
    const {
      output,
      tensor: targetTensor,
      note
    } = this.scoresTensor(request.targetOutput);
    progress(0, 'choosing targets');
    const targets = await this.chooseTargets(
      feeds,
      request,
      targetTensor,
      options.signal
    );
    const base = {
      method: method.name,
      targetOutput: output,
      targetTensor,
      targetNote: note,
      targets,
      backend: this.lastBackend
    };
    if (method instanceof InputMapMethod) {
      return this.explainInput(
        method,
        feeds,
        request,
        targetTensor,
        targets,
        base,
        options
      );
    }
    const imageSize = this.imageSizeOf(feeds);
    const layers = await this.checkLayers(
      feeds,
      request.targetOutput,
      request.layers
    );
    const { scores, maps } =
      method instanceof GradientCam
        ? await this.gradientMaps(
            method,
            feeds,
            layers,
            targetTensor,
            targets,
            imageSize,
            options
          )
        : await this.forwardMaps(
            method,
            feeds,
            layers,
            targetTensor,
            targets,
            imageSize,
            options
          );
    progress(1, 'done');
    return {
      ...base,
      backend: this.lastBackend,
      imageSize,
      scores,
      layers,
      maps
    };
  }

  /** A gradient method's maps, from the compiled graph (which builds the cams), one run per image and class. */
  private async gradientMaps(
    method: GradientCam,
    feeds: Record<string, Tensor>,
    layers: string[],
    targetTensor: string,
    targets: number[][],
    imageSize: MapSize,
    options: RunOptions
  ): Promise<{ scores: number[][]; maps: ExplainedMap[] }> {
    options.onProgress?.(
      0.1,
      `compiling gradients of ${layers.length} layer(s)`
    );
    const run = await this.runGradients(
      feeds,
      { layers, cam: method, inputs: [] },
      targetTensor,
      'plain',
      targets,
      method.negatesGradients,
      options
    );
    const T = targets[0].length;
    const maps: ExplainedMap[] = [];
    targets.forEach((row, n) =>
      layers.forEach(layer => {
        const cams = run.cams[layer];
        const rawSize = { height: cams.dims[2], width: cams.dims[3] };
        row.forEach((target, t) =>
          maps.push(
            new CamResult(
              n,
              target,
              layer,
              finishCam(rowOf(cams, n * T + t), rawSize, imageSize)
            )
          )
        );
      })
    );
    return { scores: run.scores, maps };
  }

  /** A gradient-free method's maps, from the layers' activations and, for some, model runs. */
  private async forwardMaps(
    method: ForwardCam,
    feeds: Record<string, Tensor>,
    layers: string[],
    targetTensor: string,
    targets: number[][],
    imageSize: MapSize,
    options: RunOptions
  ): Promise<{ scores: number[][]; maps: ExplainedMap[] }> {
    const progress = options.onProgress ?? (() => undefined);
    progress(0.1, `running the model for ${layers.length} layer(s)`);
    const values = await this.forward(
      feeds,
      [targetTensor, ...layers],
      options.signal
    );
    const batch = batchOf(feeds);
    const scores = splitRows(values[targetTensor], batch).map((row, n) =>
      targets[n].map(c => row[c])
    );
    const maps: ExplainedMap[] = [];
    for (let n = 0; n < batch; n++) {
      for (let l = 0; l < layers.length; l++) {
        options.signal?.throwIfAborted();
        progress(
          0.2 + (0.8 * (n * layers.length + l)) / (batch * layers.length),
          `${method.name} at ${layers[l]}`
        );
        const data = layerData(values[layers[l]], n);
        const probe =
          method.needs === 'model-runs'
            ? this.probe(
                method,
                feeds,
                n,
                layers[l],
                targetTensor,
                targets[n],
                scores[n],
                imageSize,
                options.signal
              )
            : undefined;
        const cams = await method.cams(data, probe);
        const rawSize = { height: data.height, width: data.width };
        // A method that reads activations only has one map for all classes.
        const targetsShown = probe ? targets[n] : [null];
        targetsShown.forEach((target, t) => {
          maps.push(
            new CamResult(
              n,
              target,
              layers[l],
              finishCam(cams[t], rawSize, imageSize)
            )
          );
        });
      }
    }
    return { scores, maps };
  }

  /** Releases every session. The explainer cannot run afterwards. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    this.disposed = true;
    await Promise.all(
      sessions.map(pending =>
        pending.then(entry => entry.session.release()).catch(() => undefined)
      )
    );
  }

  // -- inputs, outputs, layers -------------------------------------------------------------

  /**
   * Lists the layers for the declared input shape. Symbolic dims are taken as 1, except the
   * height and width of a 4-D input (224, a usual image size). A model that cannot run on those
   * zeros still loads: its layers are then measured on the first request's inputs.
   */
  private async init(): Promise<void> {
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
      const shapes = await this.shapes(feeds);
      this.declaredLayers = candidateLayers(
        this.model,
        shapes,
        this.outputs[0]
      );
    } catch {
      this.declaredLayers = [];
    }
  }

  private outputName(name?: string): string {
    if (name === undefined) {
      return this.outputs[0];
    }
    if (!this.outputs.includes(name)) {
      throw new ExplainError(
        `--target-output '${name}' is not an output of the model; its outputs are ${this.outputs.join(', ')}`
      );
    }
    return name;
  }

  /** The tensor explained for an output: the input of a final Softmax (pre-softmax scores). */
  private scoresTensor(name?: string): {
    output: string;
    tensor: string;
    note?: string;
  } {
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

  /** Checks names, dtypes and declared dims of the feeds; converts float64 to float32. */
  private checkFeeds(feeds: Record<string, Tensor>): Record<string, Tensor> {
    const checked: Record<string, Tensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some(i => i.name === name)) {
        throw new ExplainError(
          `'${name}' is not an input of the model; its inputs are ${this.inputs.map(i => i.name).join(', ')}`
        );
      }
    }
    let batch: number | undefined;
    for (const input of this.inputs) {
      const tensor = feeds[input.name];
      if (!tensor) {
        throw new ExplainError(
          `input '${input.name}' (shape [${input.shape.join(', ')}]) was not given`
        );
      }
      if (tensor.dims.length !== input.shape.length) {
        throw new ExplainError(
          `input '${input.name}' has shape [${tensor.dims.join(', ')}] but the model declares [${input.shape.join(', ')}]`
        );
      }
      input.shape.forEach((d, k) => {
        if (k > 0 && typeof d === 'number' && d !== tensor.dims[k]) {
          throw new ExplainError(
            `input '${input.name}' has shape [${tensor.dims.join(', ')}] but the model declares [${input.shape.join(', ')}]`
          );
        }
      });
      if (batch !== undefined && tensor.dims[0] !== batch) {
        throw new ExplainError(
          `inputs disagree on the batch size: '${input.name}' has ${tensor.dims[0]}, others ${batch}`
        );
      }
      batch = tensor.dims[0];
      checked[input.name] = asDeclared(tensor, input);
    }
    return checked;
  }

  private async checkLayers(
    feeds: Record<string, Tensor>,
    targetOutput?: string,
    layers?: string[]
  ): Promise<string[]> {
    let fallback = this.defaultLayer;
    if (!(layers && layers.length > 0) && fallback === undefined) {
      fallback = (await this.layersFor(firstRow(feeds), targetOutput)).find(
        l => l.default
      )?.name;
    }
    const chosen =
      layers && layers.length > 0 ? layers : fallback ? [fallback] : [];
    if (chosen.length === 0) {
      throw new ExplainError(
        'the model has no 4-D activation with H, W > 1 to draw a map from; name a --layer'
      );
    }
    for (const layer of chosen) {
      if (!this.index.producers.has(layer)) {
        throw new ExplainError(
          `unknown layer '${layer}'; nearest tensors: ${this.nearestTensors(layer).join(', ')}`
        );
      }
    }
    return chosen;
  }

  private nearestTensors(name: string): string[] {
    const candidates =
      this.declaredLayers.length > 0
        ? this.declaredLayers.map(l => l.name)
        : [...this.index.producers.keys()];
    return candidates
      .map(c => ({ c, d: editDistance(name, c) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 3)
      .map(x => `'${x.c}'`);
  }

  private imageSizeOf(feeds: Record<string, Tensor>): MapSize {
    const image = this.imageInput;
    if (!image) {
      throw new ExplainError(
        'layer maps need a 4-D image input [N, C, H, W]; the model has none'
      );
    }
    const dims = feeds[image].dims;
    return { height: dims[2], width: dims[3] };
  }

  private async chooseTargets(
    feeds: Record<string, Tensor>,
    request: ExplainRequest,
    targetTensor: string,
    signal?: AbortSignal
  ): Promise<number[][]> {
    const batch = batchOf(feeds);
    const classes = await this.classCount(feeds, targetTensor);
    if (request.targets && request.targets.length > 0) {
      for (const t of request.targets) {
        if (!Number.isInteger(t) || t < 0 || t >= classes) {
          throw new ExplainError(
            `target ${t} is out of range: '${targetTensor}' has ${classes} classes (0..${classes - 1})`
          );
        }
      }
      return range(batch).map(() => [...request.targets!]);
    }
    const top = Math.min(request.top ?? 1, classes);
    const values = await this.forward(feeds, [targetTensor], signal);
    return splitRows(values[targetTensor], batch).map(row =>
      Array.from(row, (score, index) => ({ score, index }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, top)
        .map(x => x.index)
    );
  }

  private async classCount(
    feeds: Record<string, Tensor>,
    targetTensor: string
  ): Promise<number> {
    const shapes = await this.shapes(firstRow(feeds));
    const dims = shapes.get(targetTensor);
    if (!dims) {
      throw new ExplainError(
        `no shape is known for the target '${targetTensor}'`
      );
    }
    return sizeOf(dims.slice(1));
  }

  // -- input methods -----------------------------------------------------------------------

  private async explainInput(
    method: InputMapMethod,
    feeds: Record<string, Tensor>,
    request: ExplainRequest,
    targetTensor: string,
    targets: number[][],
    base: Omit<Explanation, 'imageSize' | 'scores' | 'layers' | 'maps'>,
    options: RunOptions
  ): Promise<Explanation> {
    const wrt = request.wrt ?? this.imageInput;
    if (!wrt || !this.inputs.some(i => i.name === wrt)) {
      throw new ExplainError(
        `--wrt '${wrt ?? ''}' is not an input of the model; its inputs are ${this.inputs.map(i => i.name).join(', ')}`
      );
    }
    const wrtInput = this.inputs.find(i => i.name === wrt)!;
    if (wrtInput.dtype !== 'float32' && wrtInput.dtype !== 'float64') {
      throw new ExplainError(
        `--wrt '${wrt}' is an ${wrtInput.dtype} input (ids, not values): gradients exist only for float inputs`
      );
    }
    let layerMaps: Explanation | undefined;
    let layers: string[] = [];
    if (method.usesLayerMap) {
      // The same request by Grad-CAM picks the same targets (given, or each image's top-k).
      layerMaps = await this.explain(
        { ...request, method: 'gradcam' },
        options
      );
      layers = layerMaps.layers;
    }
    const batch = batchOf(feeds);
    const T = targets[0].length;
    options.onProgress?.(
      0.1,
      `compiling the ${method.relu} gradient of '${wrt}'`
    );
    const run = await this.runGradients(
      feeds,
      { layers: [], inputs: [wrt] },
      targetTensor,
      method.relu,
      targets,
      false,
      options
    );
    const gradient = run.gradients[wrt];
    const itemDims = gradient.dims.slice(1);
    const isImage = itemDims.length === 3;
    const size = isImage
      ? { height: itemDims[1], width: itemDims[2] }
      : { height: 1, width: sizeOf(itemDims) };
    const maps: ExplainedMap[] = [];
    for (let n = 0; n < batch; n++) {
      for (let t = 0; t < T; t++) {
        const row = rowOf(gradient, n * T + t);
        const layerList: (string | null)[] = method.usesLayerMap
          ? layers
          : [null];
        for (const layer of layerList) {
          const layerMap = layerMaps?.maps.find(
            m =>
              m.image === n && m.target === targets[n][t] && m.layer === layer
          )?.map;
          maps.push({
            image: n,
            target: targets[n][t],
            layer,
            map: method.map(row, layerMap),
            dims: itemDims,
            size,
            channels: isImage ? itemDims[0] : 1
          });
        }
      }
    }
    options.onProgress?.(1, 'done');
    return {
      ...base,
      backend: this.lastBackend,
      imageSize: size,
      scores: run.scores,
      layers,
      maps
    };
  }

  // -- runs --------------------------------------------------------------------------------

  /**
   * Runs of the compiled backward graph for N images x T targets, one row (an image and a target)
   * per run: the compiled graph and the shape pass it is built from then serve any number of
   * images and targets (a batch of T rows needed a shape pass and a compile of its own: 0.6 s of a
   * first top-5 explanation of mobilenet_v3_small), and a cancel takes effect between rows.
   * Returns the layers' cams ([N*T, 1, h, w], built in the graph by `what.cam`), the gradients
   * of the inputs, and the target scores.
   */
  private async runGradients(
    feeds: Record<string, Tensor>,
    what: Wanted,
    targetTensor: string,
    relu: 'plain' | 'guided',
    targets: number[][],
    negate: boolean,
    options: RunOptions
  ): Promise<{
    cams: Record<string, Tensor>;
    gradients: Record<string, Tensor>;
    scores: number[][];
  }> {
    const rows = targets.length * targets[0].length;
    const parts: Record<string, Tensor>[] = [];
    const scores: number[][] = [];
    for (const [n, row] of targets.entries()) {
      const image = sliceRows(feeds, n, n + 1);
      const { session, compiled, cams } = await this.compiledSession(
        image,
        what,
        targetTensor,
        relu
      );
      const named: Record<string, string> = { [targetTensor]: targetTensor };
      for (const [layer, cam] of Object.entries(cams)) {
        named[`cam:${layer}`] = cam;
      }
      for (const input of what.inputs) {
        named[`grad:${input}`] = compiled.gradients[input];
      }
      const imageScores: number[] = [];
      for (const target of row) {
        options.signal?.throwIfAborted();
        options.onProgress?.(
          0.1 + (0.9 * parts.length) / rows,
          `gradients of class ${target}` +
            (targets.length > 1 ? ` for image ${n + 1}` : '')
        );
        const seed = new Float32Array(sizeOf(compiled.seedShape));
        seed[target] = negate ? -1 : 1;
        const out = await this.exclusive(() =>
          session.run(
            { ...image, [compiled.seed]: float32(seed, compiled.seedShape) },
            [...new Set(Object.values(named))]
          )
        );
        imageScores.push(out[targetTensor].data[target] as number);
        parts.push(
          Object.fromEntries(
            Object.entries(named).map(([key, tensor]) => [key, out[tensor]])
          )
        );
      }
      scores.push(imageScores);
    }
    const results = rows === 1 ? parts[0] : concatRows(parts);
    const cams: Record<string, Tensor> = {};
    const gradients: Record<string, Tensor> = {};
    for (const [key, tensor] of Object.entries(results)) {
      if (key.startsWith('cam:')) {
        cams[key.slice(4)] = tensor;
      } else if (key.startsWith('grad:')) {
        gradients[key.slice(5)] = tensor;
      }
    }
    return { cams, gradients, scores };
  }

  /**
   * Runs `rows` rows in one batch, or one row at a time when the model cannot take a batch;
   * concatenates the results row-wise.
   */
  private async byRows(
    feeds: Record<string, Tensor>,
    rows: number,
    run: (
      feeds: Record<string, Tensor>,
      rowIndices: number[]
    ) => Promise<Record<string, Tensor>>
  ): Promise<Record<string, Tensor>> {
    if (rows === 1 || this.batching !== false) {
      try {
        const out = await run(feeds, range(rows));
        if (rows > 1) {
          this.batching = true;
        }
        return out;
      } catch (error) {
        if (
          rows === 1 ||
          this.batching === true ||
          error instanceof ExplainError ||
          error instanceof GradientError
        ) {
          throw error;
        }
        // A graph that fixes its batch (Reshape to [1, -1]): fall back to one row per run.
        this.batching = false;
      }
    }
    const parts: Record<string, Tensor>[] = [];
    for (let r = 0; r < rows; r++) {
      parts.push(await run(sliceRows(feeds, r, r + 1), [r]));
    }
    return concatRows(parts);
  }

  /** Forward values of `tensors` for the feeds (any batch), with the tensors exposed. */
  private async forward(
    feeds: Record<string, Tensor>,
    tensors: string[],
    signal?: AbortSignal
  ): Promise<Record<string, Tensor>> {
    const unique = [...new Set(tensors)];
    const key = `forward|${unique.join('|')}`;
    const session = await this.cached(key, async () => ({
      session: await this.newSession(exposeTensors(this.freeModel, unique))
    }));
    signal?.throwIfAborted();
    return this.byRows(feeds, batchOf(feeds), async rowFeeds => {
      const out = await this.exclusive(() =>
        session.session.run(rowFeeds, unique)
      );
      this.lastBackend = session.session.backend;
      return out;
    });
  }

  /** Score-CAM's and Ablation-CAM's model runs for image n at one layer. */
  private probe(
    method: ForwardCam,
    feeds: Record<string, Tensor>,
    n: number,
    layer: string,
    targetTensor: string,
    targets: number[],
    scores: number[],
    imageSize: MapSize,
    signal?: AbortSignal
  ): ScoreProbe {
    const image = this.imageInput!;
    const item = sliceRows(feeds, n, n + 1);
    const pick = (values: Tensor, count: number) =>
      splitRows(values, count).map(row =>
        Float64Array.from(targets, c => row[c])
      );
    return {
      scores,
      imageSize,
      maskedScores: async masks => {
        signal?.throwIfAborted();
        const batch = tileRows(item, masks.length);
        const pixels = batch[image].data as Float32Array;
        const plane = imageSize.height * imageSize.width;
        masks.forEach((mask, m) => {
          const rowStart = m * (pixels.length / masks.length);
          for (let i = 0; i < pixels.length / masks.length; i++) {
            pixels[rowStart + i] *= mask[i % plane];
          }
        });
        const out = await this.forward(batch, [targetTensor], signal);
        return pick(out[targetTensor], masks.length);
      },
      replacedScores: async activations => {
        signal?.throwIfAborted();
        const head = await this.headSession(
          layer,
          item,
          targetTensor,
          method.name
        );
        const layerDims = head.layerDims;
        const batch = tileRows(item, activations.length);
        const feedsForHead: Record<string, Tensor> = {};
        for (const name of head.session.inputNames) {
          feedsForHead[name] =
            name === layer
              ? float32(concatFloat(activations), [
                  activations.length,
                  ...layerDims.slice(1)
                ])
              : batch[name];
        }
        const out = await this.exclusive(() =>
          head.session.run(feedsForHead, [targetTensor])
        );
        return pick(out[targetTensor], activations.length);
      }
    };
  }

  private async headSession(
    layer: string,
    item: Record<string, Tensor>,
    targetTensor: string,
    method: string
  ): Promise<{ session: Session; layerDims: number[] }> {
    const shapes = await this.shapes(item);
    const layerDims = shapes.get(layer)!;
    const key = `head|${layer}|${targetTensor}|${layerDims.join(',')}`;
    const entry = await this.cached(key, async () => {
      let head: ModelProto;
      try {
        head = cutAtLayer(this.model, layer, layerDims, [targetTensor]);
      } catch (error) {
        throw new ExplainError(
          `${method} cannot run the model's head from layer '${layer}': ${(error as Error).message}`
        );
      }
      return { session: await this.newSession(head) };
    });
    return { session: entry.session, layerDims };
  }

  private async compiledSession(
    feeds: Record<string, Tensor>,
    what: Wanted,
    targetTensor: string,
    relu: 'plain' | 'guided'
  ): Promise<{
    session: Session;
    compiled: CompiledModel;
    cams: Record<string, string>;
  }> {
    const camName = what.cam?.name ?? '';
    const key = `grad|${relu}|${targetTensor}|${camName}|${what.layers.join('|')}|${what.inputs.join('|')}|${shapeKey(feeds)}`;
    const entry = await this.cached(key, async () => {
      const pass = await this.shapePass(feeds);
      const compiled = compileGradients(this.freeModel, {
        layers: what.layers,
        inputs: what.inputs,
        target: targetTensor,
        relu,
        shapes: pass.shapes,
        values: pass.constants
      });
      const cams = what.cam
        ? appendCams(compiled, targetTensor, what.layers, pass.shapes, what.cam)
        : {};
      return { session: await this.newSession(compiled.model), compiled, cams };
    });
    return {
      session: entry.session,
      compiled: entry.compiled!,
      cams: entry.cams!
    };
  }

  /**
   * Runs one model run at a time: a request the panel cancels keeps its run going until that run
   * ends, and onnxruntime-web does not run one session concurrently. Each run starts in a task of
   * its own: onnxruntime's wasm runs resolve without leaving the task that awaits them, so a loop
   * of runs (Score-CAM's 36 batches, a top-5 pass) otherwise held the page's main thread for
   * seconds, with no repaint and no click on Cancel.
   */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.runs.then(nextTask).then(run);
    this.runs = next.catch(() => undefined);
    return next;
  }

  /** Measured shapes for these feeds' dims (cached per input shape). */
  private async shapes(
    feeds: Record<string, Tensor>
  ): Promise<ReadonlyMap<string, number[]>> {
    return (await this.shapePass(feeds)).shapes;
  }

  /**
   * The shape pass for these feeds' dims (cached per input shape): shapes, and the values of
   * the constants computed from shapes, which the compiler needs; activations are not kept.
   */
  private shapePass(feeds: Record<string, Tensor>): Promise<MeasuredShapes> {
    const key = shapeKey(feeds);
    let pass = this.shapeCache.get(key);
    if (!pass) {
      pass = measureShapes(this.freeModel, feeds, { backend: 'wasm' }).then(
        ({ shapes, values }) => ({
          shapes,
          constants: Object.fromEntries(
            Object.entries(values).filter(([name]) =>
              this.index.isConstant(name)
            )
          )
        })
      );
      this.shapeCache.set(key, pass);
      pass.catch(() => this.shapeCache.delete(key));
    }
    return pass;
  }

  private async newSession(model: ModelProto): Promise<Session> {
    if (this.disposed) {
      throw new ExplainError('the explainer was disposed');
    }
    const session = await createSession(encodeModel(model), {
      backend: this.requestedBackend
    });
    this.lastBackend = session.backend;
    return session;
  }

  /**
   * A cached session entry; the least recently used beyond the cache size is released. The
   * cache holds the pending creation, so that two requests never build the same session.
   */
  private async cached(
    key: string,
    create: () => Promise<CacheEntry>
  ): Promise<CacheEntry> {
    let pending = this.sessions.get(key);
    if (pending) {
      this.sessions.delete(key);
    } else {
      pending = create();
    }
    this.sessions.set(key, pending);
    while (this.sessions.size > this.cacheSize) {
      const [oldest, dropped] = this.sessions.entries().next().value as [
        string,
        Promise<CacheEntry>
      ];
      this.sessions.delete(oldest);
      void dropped
        .then(entry => entry.session.release())
        .catch(() => undefined);
    }
    try {
      return await pending;
    } catch (error) {
      if (this.sessions.get(key) === pending) {
        this.sessions.delete(key);
      }
      throw error;
    }
  }

  private readonly index: GraphIndex;
  private readonly freeModel: ModelProto;
  private readonly requestedBackend: Backend;
  private readonly cacheSize: number;
  private readonly sessions = new Map<string, Promise<CacheEntry>>();
  private readonly shapeCache = new Map<string, Promise<MeasuredShapes>>();
  private declaredLayers: LayerInfo[] = [];
  private batching: boolean | undefined;
  private lastBackend = '';
  private runs: Promise<unknown> = Promise.resolve();
  private disposed = false;
}

/** A CAM method's map; the input-resolution arrays are computed when first read. */
class CamResult implements ExplainedMap {
  constructor(
    readonly image: number,
    readonly target: number | null,
    readonly layer: string,
    private readonly layerMap: LayerMap
  ) {
    this.dims = [layerMap.size.height, layerMap.size.width];
  }

  readonly dims: number[];
  readonly channels = 1;

  get map(): Float32Array {
    return this.layerMap.map;
  }

  get size(): MapSize {
    return this.layerMap.size;
  }

  get raw(): Float32Array {
    return this.layerMap.raw;
  }

  get rawSize(): MapSize {
    return this.layerMap.rawSize;
  }

  get upsampled(): Float32Array {
    return this.layerMap.upsampled;
  }
}

interface CacheEntry {
  session: Session;
  compiled?: CompiledModel;
  cams?: Record<string, string>;
}

/** What a compiled run hands back: the layers' cams, by a method's graph, and input gradients. */
interface Wanted {
  layers: string[];
  cam?: GraphCam;
  inputs: string[];
}

/**
 * Resolves in a new task of the event loop, after pending input and rendering. Node's
 * setImmediate where there is one: Node delays setTimeout(0) by 1 ms, 10% of a run of a small
 * model (browsers clamp it to 4 ms only after five nested timers).
 */
function nextTask(): Promise<void> {
  return new Promise(resolve =>
    typeof setImmediate === 'function'
      ? setImmediate(resolve)
      : setTimeout(resolve, 0)
  );
}

// -- tensors by rows ---------------------------------------------------------------------------

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function batchOf(feeds: Record<string, Tensor>): number {
  const first = Object.values(feeds)[0];
  return first ? first.dims[0] : 1;
}

function shapeKey(feeds: Record<string, Tensor>): string {
  return Object.keys(feeds)
    .sort()
    .map(k => `${k}:${feeds[k].dims.join('x')}`)
    .join(';');
}

/** ONNX TensorProto element types -> engine dtypes. */
const DTYPES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  11: 'float64'
};

/**
 * The tensor in the input's declared dtype: images and other float inputs as float32 (float64
 * and integers converted), token ids and other integer inputs as integers (integral floats
 * converted, anything else refused).
 */
function asDeclared(tensor: Tensor, input: InputInfo): Tensor {
  if (tensor.dtype === input.dtype) {
    return tensor;
  }
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const dims = tensor.dims;
  switch (input.dtype) {
    case 'float32':
      return float32(Float32Array.from(values), dims);
    case 'float64':
      return { dtype: 'float64', dims, data: Float64Array.from(values) };
    default: {
      if (values.some(v => !Number.isInteger(v))) {
        throw new ExplainError(
          `input '${input.name}' is ${input.dtype} in the model, but the values given (${tensor.dtype}) are not all integers`
        );
      }
      const data =
        input.dtype === 'int64'
          ? BigInt64Array.from(values, v => BigInt(v))
          : input.dtype === 'int32'
            ? Int32Array.from(values)
            : Uint8Array.from(values);
      return { dtype: input.dtype, dims, data };
    }
  }
}

/** A typed array of the same kind as `like`, of the given length. */
function newData(like: TensorArray, length: number): TensorArray {
  const Kind = like.constructor as new (length: number) => TensorArray;
  return new Kind(length);
}

/** Row r (along the batch axis) of a float tensor, as a view. */
function rowOf(tensor: Tensor, r: number): Float32Array {
  const size = sizeOf(tensor.dims.slice(1));
  return (tensor.data as Float32Array).subarray(r * size, (r + 1) * size);
}

function splitRows(tensor: Tensor, rows: number): Float32Array[] {
  if (tensor.dims[0] !== rows) {
    throw new ExplainError(
      `expected ${rows} rows in a tensor of shape [${tensor.dims.join(', ')}]`
    );
  }
  return range(rows).map(r => rowOf(tensor, r));
}

/** Each row repeated `times` times consecutively: row n*times + t is row n. */
function tileRows(
  feeds: Record<string, Tensor>,
  times: number
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const rows = tensor.dims[0];
    const size = sizeOf(tensor.dims.slice(1));
    const data = newData(tensor.data, rows * times * size);
    for (let n = 0; n < rows; n++) {
      const row = tensor.data.subarray(n * size, (n + 1) * size);
      for (let t = 0; t < times; t++) {
        (data as Float32Array).set(row as Float32Array, (n * times + t) * size);
      }
    }
    out[name] = {
      dtype: tensor.dtype,
      dims: [rows * times, ...tensor.dims.slice(1)],
      data
    };
  }
  return out;
}

function sliceRows(
  feeds: Record<string, Tensor>,
  from: number,
  to: number
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    const size = sizeOf(tensor.dims.slice(1));
    out[name] = {
      dtype: tensor.dtype,
      dims: [to - from, ...tensor.dims.slice(1)],
      data: tensor.data.slice(from * size, to * size)
    };
  }
  return out;
}

function firstRow(feeds: Record<string, Tensor>): Record<string, Tensor> {
  return batchOf(feeds) === 1 ? feeds : sliceRows(feeds, 0, 1);
}

function concatRows(parts: Record<string, Tensor>[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(parts[0])) {
    const tensors = parts.map(p => p[name]);
    const rows = tensors.reduce((a, t) => a + t.dims[0], 0);
    const data = newData(
      tensors[0].data,
      tensors.reduce((a, t) => a + t.data.length, 0)
    );
    let offset = 0;
    for (const t of tensors) {
      (data as Float32Array).set(t.data as Float32Array, offset);
      offset += t.data.length;
    }
    out[name] = {
      dtype: tensors[0].dtype,
      dims: [rows, ...tensors[0].dims.slice(1)],
      data
    };
  }
  return out;
}

function concatFloat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** Row r of a layer activation [rows, K, h, w] as a gradient-free method reads it. */
function layerData(activation: Tensor, r: number): LayerData {
  const [, channels, height, width] = activation.dims;
  if (activation.dims.length !== 4) {
    throw new ExplainError(
      `a layer must be 4-D [N, C, H, W]; this one has shape [${activation.dims.join(', ')}]`
    );
  }
  return {
    activation: rowOf(activation, r),
    channels,
    height,
    width
  };
}

function softmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    max = Math.max(max, row[i]);
  }
  const exps = Float64Array.from(row, v => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map(e => e / sum);
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1)
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}
