/**
 * What a gradient rule is: plain data naming the op type and a function that, given the gradients
 * of the node's outputs, returns for each input a thunk emitting that input's gradient. Thunks are
 * called only for inputs on a path to a chosen layer, so unused gradients emit nothing (as in
 * tfjs-core's `gradFunc`).
 */
import { GraphBuilder } from '../onnx/graph';
import { NodeProto } from '../onnx/proto';

/** How ReLUs pass gradients: 'plain' autograd, or guided backpropagation (positive only). */
export type ReluMode = 'plain' | 'guided';

/** What a rule may ask and emit while building a node's backward. */
export interface GradContext {
  /** The forward node being differentiated. */
  readonly node: NodeProto;
  /** The model's ai.onnx opset: emitted nodes take its form. */
  readonly opset: number;
  /** The ReLU rule in force. */
  readonly relu: ReluMode;
  /** Appends backward nodes and constants. */
  readonly builder: GraphBuilder;
  /** The static shape of any tensor of the forward graph (for the compiled input shape). */
  shape(tensor: string): number[];
  /** Values of a constant input (initializer or Constant node), or undefined when computed. */
  constantValues(tensor: string): Float64Array | undefined;
  /** Whether a tensor depends on constants only (weights, BN statistics): it needs no gradient. */
  isConstant(tensor: string): boolean;
}

/** A thunk emitting the gradient of one input, returning the gradient tensor's name. */
export type InputGradient = () => string;

/** One op type's reverse-mode rule. */
export interface GradRule {
  /** The ONNX op type (default domain). */
  opType: string;
  /**
   * `dY[k]` is the gradient of output k, undefined when no gradient reaches that output.
   * Returns one entry per input: a thunk, or undefined when the input has no gradient
   * (weights, shapes, indices).
   */
  gradients(
    ctx: GradContext,
    dY: Array<string | undefined>
  ): Array<InputGradient | undefined>;
}

/** Raised when the backward graph cannot be built: names the op, the node and the layer. */
export class GradientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradientError';
  }
}
