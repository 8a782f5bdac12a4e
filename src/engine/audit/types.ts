/**
 * The audit's public types: what `runAudit` takes and what its report holds. The report is plain
 * JSON (the command line writes it as is, the kernel stores it); the per-image maps travel apart,
 * as one float32 array, because they are the only part that grows with N times the map size.
 *
 * Coordinates are pixels of the input image, x1/y1 exclusive. Multi-word report fields are
 * snake_case, as the JSON and the Python side spell them.
 */
import type { MethodName } from '../methods';
import type { MapSize } from '../image';
import type { Tensor } from '../tensor';

/** [x0, y0, x1, y1] in input pixels, x1 and y1 exclusive. */
export type Region = [number, number, number, number];

/**
 * The images, read chunk by chunk so that N need not fit in memory twice (the panel fetches each
 * chunk from the kernel; the command line reads rows of the .npy file). A chunk is a tensor with
 * the batch axis first: uint8 [n, H, W, C] or [n, C, H, W] (the layout follows the model's input
 * channels), or float32 [n, C, H, W] already normalised.
 */
export interface AuditImageSource {
  /** N, the number of images. */
  readonly count: number;
  /** The shape of every image without the batch axis, as the chunks carry it. */
  readonly itemDims: readonly number[];
  /** The element type of the chunks. */
  readonly dtype: 'uint8' | 'float32' | 'float64';
  /** Rows [start, end). */
  read(start: number, end: number, signal?: AbortSignal): Promise<Tensor>;
}

/**
 * The objects' extents, for the share of map energy outside them: boxes [N, 4] (x0, y0, x1, y1 in
 * pixels, x1/y1 exclusive; a row with x1 <= x0 or y1 <= y0 means no object) or masks [N, H, W]
 * (non-zero on the object).
 */
export type AuditObjects = Tensor;

/**
 * Predictions and raw maps computed outside the page (in the kernel with native onnxruntime, on
 * Dask or on Ray: `jupyterlab_gradcam.run.audit_maps`), read chunk by chunk in the order of the
 * images. The audit then runs only its statistics, clusters and flags on them, and the causal test
 * of a flag on a sample of the images in the page.
 */
export interface AuditGivenMaps {
  /** Where they were computed, in words ("the kernel", "Dask, 2 workers"). */
  readonly computed: string;
  /** The classes of the scores. */
  readonly classes: number;
  /** The raw maps' size (the layer's grid). */
  readonly mapSize: MapSize;
  /** The output of the scores, and the tensor the maps explain (a final Softmax's input, or the output). */
  readonly targetOutput: string;
  readonly targetTensor: string;
  /** True when the scores are a final Softmax's values (probabilities), not logits. */
  readonly probabilities: boolean;
  /** Seconds the maps took where they were computed. */
  readonly seconds: number;
  /**
   * Rows [start, end): scores [n, classes], the predicted class's raw maps [n, h, w], and the true
   * class's raw maps [n, h, w] (null without labels).
   */
  read(start: number, end: number, signal?: AbortSignal): Promise<AuditMapRows>;
}

/** Rows of given maps: scores [n, classes], the predicted and the true class's raw maps [n, h, w]. */
export interface AuditMapRows {
  scores: Float32Array;
  predicted: Float32Array;
  /** Null without labels. */
  labelled: Float32Array | null;
}

/** What to audit and how. */
export interface AuditOptions {
  /** The true class of each image (N integers in 0..classes-1); without it accuracy is null. */
  labels?: ArrayLike<number | bigint>;
  /** Class names by index; "class 7" style names when absent. */
  classes?: readonly string[];
  /** Boxes or masks of the objects (see AuditObjects). */
  objects?: AuditObjects;
  /** Per-channel mean applied to uint8 images after scaling to [0, 1] (default 0). */
  mean?: readonly number[];
  /** Per-channel std applied to uint8 images after scaling to [0, 1] (default 1). */
  std?: readonly number[];
  /** A CAM method with a layer map (default gradcam). */
  method?: MethodName;
  /** The layer tensor (default: the model's default layer). */
  layer?: string;
  /** The output holding the class scores (default: the first output). */
  targetOutput?: string;
  /** Images per chunk for a model with a free batch axis (default 32); 1 for a fixed batch. */
  chunkSize?: number;
  /** Classes kept per image, best first (default 5). */
  top?: number;
  /** Side of the coarse grid of the peak histograms (default 4: 4 x 4 cells). */
  peakGrid?: number;
  /** Side of the downsampled maps that are clustered (default 8). */
  clusterGrid?: number;
  /** Most maps clustered exactly per class; the others join the nearest cluster (default 300). */
  clusterSample?: number;
  /** How a flagged region is removed in the causal test (default 'mean'). */
  fill?: 'mean' | 'blur';
  /** Most images of a flagged class that the causal test runs (default 64). */
  causalImages?: number;
  /** Predictions and raw maps computed elsewhere: the page then computes no maps of its own. */
  maps?: AuditGivenMaps;
}

/** Cancellation and progress of an audit (progress is reported between chunks). */
export interface AuditRunOptions {
  signal?: AbortSignal;
  /** A fraction in [0, 1] and what is being done. */
  onProgress?: (fraction: number, message: string) => void;
}

/** One class of an image's prediction. */
export interface AuditTopClass {
  index: number;
  score: number;
  probability: number;
}

/** What the audit keeps of one image. */
export interface AuditItem {
  /** The image's index in the data set. */
  index: number;
  /** Its true class, or null without labels. */
  label: number | null;
  /** The predicted (top-1) class. */
  prediction: number;
  /** The score of the predicted class. */
  score: number;
  /** The score of the true class (null without labels). */
  label_score: number | null;
  /** The best classes, best first. */
  top: AuditTopClass[];
  /** Where the map of the predicted class peaks, [x, y] in input pixels. */
  peak: [number, number];
  /** Where the map of the true class peaks, when it differs from the prediction. */
  label_peak?: [number, number];
  /** Share of the predicted class's map energy outside the object (with objects). */
  outside?: number;
  /** The cluster (index into its class's `clusters`, by label; by prediction without labels). */
  cluster: number | null;
  /** Whether the image is among those whose evidence sits in its class's flagged region. */
  flagged: boolean;
}

/** A cluster of similar explanations within a class. */
export interface AuditCluster {
  size: number;
  /** Share of correct predictions (null without labels). */
  accuracy: number | null;
  /** Image indices. */
  members: number[];
  /** The members' mean normalised map at layer resolution (row-major, `map_size`). */
  mean_map: number[];
}

/** The statistics of one class seen one way (the images labelled c, or the images predicted c). */
export interface AuditClassView {
  count: number;
  /** Share predicted right (null without labels). */
  accuracy: number | null;
  /** The other classes involved, most frequent first: predicted for labelled c, or true for predicted c. */
  confusions: { index: number; count: number }[];
  /** The mean of the normalised maps (each in [0, 1]) at layer resolution, row-major. */
  mean_map: number[];
  /** How many maps peak in each cell of a peak_grid x peak_grid grid over the image, row-major. */
  peaks: number[];
  /** Mean share of map energy outside the object (null without objects). */
  outside_energy: number | null;
  /** Clusters of explanations (spectral, the number by the eigengap), largest first. */
  clusters: AuditCluster[];
}

/** The causal test of a candidate flag: the region removed vs a control region of the same size. */
export interface AuditCausal {
  /** How the region was removed. */
  fill: 'mean' | 'blur';
  /** The images tested (indices). */
  images: number[];
  /** The control region, same size, elsewhere in the image. */
  control_region: Region;
  /** Mean drop of the class score with the region removed. */
  score_drop: number;
  /** Mean drop with the control region removed. */
  control_drop: number;
  /** Share of tested images whose prediction leaves the class with the region removed. */
  flip_rate: number;
  /** The same with the control region removed. */
  control_flip_rate: number;
}

/** One class of the report: by label (the fields) plus the view by prediction. */
export interface AuditClass {
  index: number;
  name: string;
  /** Images of this class (by label; by prediction without labels). */
  count: number;
  /** Share of them predicted right (null without labels). */
  accuracy: number | null;
  /** Whether a region drives this class's predictions, as the causal test confirmed. */
  flagged: boolean;
  /** The candidate region (whether or not the test confirmed it), or null when none stood out. */
  region: Region | null;
  /** Why the region was a candidate: peaks gathered there, or the evidence lies off the objects. */
  reason: 'peaks' | 'outside' | null;
  /** Share of the class's maps that peak inside the region. */
  concentration: number | null;
  score_drop: number | null;
  control_drop: number | null;
  flip_rate: number | null;
  control_flip_rate: number | null;
  /** The causal test in full, when a candidate region was tested. */
  causal: AuditCausal | null;
  /** The clusters of this class's explanations (by label; by prediction without labels). */
  clusters: AuditCluster[];
  /** Images labelled with this class (null without labels). */
  by_label: AuditClassView | null;
  /** Images predicted as this class. */
  by_prediction: AuditClassView;
}

/** The report of an audit. */
export interface AuditReport {
  /** N. */
  images: number;
  method: MethodName;
  layer: string;
  /** The output whose scores were explained, and the tensor differentiated (pre-softmax). */
  target_output: string;
  target_tensor: string;
  /** Input image size. */
  image_size: [number, number];
  /** Layer map size, [height, width]. */
  map_size: [number, number];
  /** The peak histograms' grid side. */
  peak_grid: number;
  /** Overall accuracy (null without labels). */
  accuracy: number | null;
  /** How the flags were decided and how clustering was sampled, in words. */
  notes: string[];
  classes: AuditClass[];
  items: AuditItem[];
  backend: string;
  /** Where the maps were computed when not in the page ("the kernel"), else null. */
  maps_computed: string | null;
  /** Wall time of the map phase and of the whole audit, seconds. */
  seconds: { maps: number; total: number };
}

/**
 * The raw maps at layer resolution (un-normalised, max(cam, 0)): `predicted` [N, h, w] for each
 * image's predicted class; `label` [N, h, w] for its true class (the same values where the
 * prediction is right; absent without labels).
 */
export interface AuditMaps {
  size: MapSize;
  predicted: Float32Array;
  label?: Float32Array;
}

/** What `runAudit` returns. */
export interface AuditResult {
  report: AuditReport;
  maps: AuditMaps;
}
