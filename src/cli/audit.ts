/**
 * The `audit` verb: a data-set audit over an .npy of images, written as a JSON report (and the
 * raw maps as .npy). Images are read from disk chunk by chunk; labels, classes and boxes are small
 * and read whole.
 */
import * as fs from 'fs';
import { AuditOptions, runAudit } from '../engine/audit';
import type { Explainer } from '../engine/explainer';
import { METHOD_NAMES, MethodName } from '../engine/methods';
import { readNpy, writeNpy } from '../engine/io/npy';
import { Tensor } from '../engine/tensor';
import { FlagSpec, Flags, required, single, triple, UsageError } from './args';
import { npyRows } from './npyRows';

/** The verb's own flags (main adds --model, --target-output, --backend, --threads). */
export const AUDIT_FLAGS: FlagSpec = {
  images: { value: true },
  mean: { value: true },
  std: { value: true },
  labels: { value: true },
  classes: { value: true },
  boxes: { value: true },
  method: { value: true },
  layer: { value: true },
  out: { value: true },
  maps: { value: true }
};

/** The usage lines of the verb. */
export const AUDIT_USAGE = `  jupyterlab-gradcam audit   --model M.onnx --images X.npy --out REPORT.json [--labels Y.npy]
                             [--classes NAMES.json] [--boxes B.npy] [--mean R,G,B] [--std R,G,B]
                             [--method M] [--layer TENSOR] [--maps MAPS.npy]`;

/** The flags' help. */
export const AUDIT_HELP = `  audit: --images X.npy uint8 (N, H, W, C) or (N, C, H, W), scaled to [0, 1] then (x - mean) / std;
         or float32 (N, C, H, W) already normalised. --labels (N,) integer classes; --classes a
         JSON list of names (or an object with "classes"); --boxes (N, 4) x0, y0, x1, y1 pixels
         (x1/y1 exclusive) or masks (N, H, W). Writes the report to --out, and with --maps the raw
         maps of each image's predicted class, float32 (N, h, w) at layer resolution.`;

/** Runs the audit; returns the summary printed on stdout. */
export async function audit(
  explainer: Explainer,
  flags: Flags
): Promise<object> {
  const outFile = required(flags, 'out', 'audit');
  const method = (single(flags, 'method') ?? 'gradcam') as MethodName;
  if (!METHOD_NAMES.includes(method)) {
    throw new UsageError(
      `--method '${method}' is not a method; use one of ${METHOD_NAMES.join(', ')}`
    );
  }
  const images = npyRows(required(flags, 'images', 'audit'), 'images');
  try {
    const options: AuditOptions = {
      method,
      layer: single(flags, 'layer'),
      targetOutput: single(flags, 'target-output'),
      mean: triple(flags, 'mean'),
      std: triple(flags, 'std'),
      labels: readLabels(single(flags, 'labels')),
      classes: readClasses(single(flags, 'classes')),
      objects: readArray(single(flags, 'boxes'), 'boxes')
    };
    const { report, maps } = await runAudit(explainer, images, options);
    write(outFile, 'out', JSON.stringify(report));
    const mapsFile = single(flags, 'maps');
    if (mapsFile) {
      write(
        mapsFile,
        'maps',
        writeNpy(maps.predicted, [
          report.images,
          maps.size.height,
          maps.size.width
        ])
      );
    }
    return {
      out: outFile,
      ...(mapsFile ? { maps: mapsFile } : {}),
      images: report.images,
      method: report.method,
      layer: report.layer,
      accuracy: report.accuracy,
      flagged: report.classes
        .filter(c => c.flagged)
        .map(c => ({ index: c.index, name: c.name, region: c.region })),
      seconds: report.seconds.total
    };
  } finally {
    images.close();
  }
}

function readArray(file: string | undefined, name: string): Tensor | undefined {
  if (file === undefined) {
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    throw new UsageError(
      `--${name}: cannot read '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
  try {
    return readNpy(bytes);
  } catch (error) {
    throw new UsageError(`--${name} ${file}: ${(error as Error).message}`);
  }
}

/** Integer class indices, one per image. */
function readLabels(file: string | undefined): number[] | undefined {
  const tensor = readArray(file, 'labels');
  if (!tensor) {
    return undefined;
  }
  if (
    tensor.dims.length !== 1 &&
    !(tensor.dims.length === 2 && tensor.dims[1] === 1)
  ) {
    throw new UsageError(
      `--labels has shape (${tensor.dims.join(', ')}); give one integer class per image, shape (N,)`
    );
  }
  const labels = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const bad = labels.findIndex(l => !Number.isInteger(l));
  if (bad >= 0) {
    throw new UsageError(
      `--labels: image ${bad} has class ${labels[bad]}; classes are integer indices`
    );
  }
  return labels;
}

/** Class names: a JSON list, or an object whose "classes" is one (scripts/shapes.py's classes.json). */
function readClasses(file: string | undefined): string[] | undefined {
  if (file === undefined) {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `--classes: cannot read '${file}' as JSON (${(error as Error).message})`
    );
  }
  const list = Array.isArray(parsed)
    ? parsed
    : (parsed as { classes?: unknown } | null)?.classes;
  if (!Array.isArray(list) || list.some(name => typeof name !== 'string')) {
    throw new UsageError(
      `--classes: '${file}' must hold a JSON list of class names, or an object with "classes": [...]`
    );
  }
  return list as string[];
}

function write(file: string, name: string, content: string | Uint8Array): void {
  try {
    fs.writeFileSync(file, content);
  } catch (error) {
    throw new UsageError(
      `--${name}: cannot write '${file}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    );
  }
}
