/**
 * The engine's facade, shared by the panel and the command line: one model, loaded once; its
 * inputs, outputs and candidate layers; predictions; and explanations by any method for several
 * images, several targets and several layers from one run of one cached session.
 *
 * Where the work is done (docs/architecture.md has the picture): the loaded model and its
 * sessions in `explain/model.ts` and `explain/sessions.ts`, the request checks in
 * `explain/request.ts`, and the path of an explanation in `cam/pipeline.ts`.
 */
import { explain } from './cam/pipeline';
import { explainRows, RowMaps, RowMapsRequest } from './cam/rowMaps';
import { LoadedModel } from './explain/model';
import { predict } from './explain/predict';
import { checkFeeds } from './explain/request';
import {
  Explanation,
  ExplainRequest,
  InputInfo,
  LoadOptions,
  PredictOptions,
  Prediction,
  RunOptions
} from './explain/types';
import { LayerInfo } from './layers';
import { Tensor } from './tensor';

export { ExplainError } from './explain/types';
export { PREDICTED } from './cam/rowMaps';
export type { RowMaps, RowMapsRequest } from './cam/rowMaps';
export type {
  ExplainedMap,
  ExplainRequest,
  Explanation,
  InputInfo,
  LoadOptions,
  PredictOptions,
  Prediction,
  ProgressCallback,
  RequestPart,
  RunOptions
} from './explain/types';

/** An ONNX model ready to explain. Create with `Explainer.load`; call `dispose` when done. */
export class Explainer {
  /** Decodes the model, measures its shapes for the declared input and lists its layers. */
  static async load(
    bytes: Uint8Array,
    options: LoadOptions = {}
  ): Promise<Explainer> {
    return new Explainer(await LoadedModel.load(bytes, options));
  }

  private constructor(private readonly model: LoadedModel) {
    this.inputs = model.inputs;
    this.outputs = model.outputs;
  }

  /** The graph inputs a user feeds. */
  readonly inputs: readonly InputInfo[];
  /** The graph outputs, by name. */
  readonly outputs: readonly string[];

  /** The backend sessions run on ('webgpu' or 'wasm'; known after the first run). */
  get backend(): string {
    return this.model.sessions.backend;
  }

  /** The candidate layers for the declared input shape (symbolic dims taken as 1). */
  layers(): LayerInfo[] {
    return this.model.declaredLayers.map(l => ({ ...l, shape: [...l.shape] }));
  }

  /** The candidate layers for the shapes of these feeds. */
  async layersFor(
    feeds: Record<string, Tensor>,
    targetOutput?: string
  ): Promise<LayerInfo[]> {
    return this.model.layersFor(checkFeeds(this.model, feeds), targetOutput);
  }

  /** The default layer for the declared input shape, if the model has a candidate. */
  get defaultLayer(): string | undefined {
    return this.model.defaultLayer;
  }

  /**
   * The tensor a layer name means: an ONNX tensor or a torch module name (`layer4.1`); an
   * `ExplainError` with the nearest few names when it means none.
   */
  resolveLayer(name: string): string {
    return this.model.resolveLayer(name);
  }

  /** The first 4-D input: the image. */
  get imageInput(): string | undefined {
    return this.model.imageInput;
  }

  /** The classes of each image, best first. */
  predict(
    feeds: Record<string, Tensor>,
    options: PredictOptions = {}
  ): Promise<Prediction[][]> {
    return predict(this.model, feeds, options);
  }

  /** Explains the request; see `Explanation` for what comes back. */
  explain(
    request: ExplainRequest,
    options: RunOptions = {}
  ): Promise<Explanation> {
    return explain(this.model, request, options);
  }

  /**
   * Explains each image for its own class (PREDICTED: its best class) at one layer, in one run
   * of the compiled graph with its batch freed: the scores and the raw maps together. Gradient
   * methods only.
   */
  explainRows(
    request: RowMapsRequest,
    options: RunOptions = {}
  ): Promise<RowMaps> {
    return explainRows(this.model, request, options);
  }

  /** Releases every session. The explainer cannot run afterwards. */
  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
