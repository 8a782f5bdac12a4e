/**
 * What the panel assumed when explain() did not say: the normalisation applied to an 8-bit image
 * (ImageNet's mean and std when none is given) and the class names (ImageNet's for an output of
 * 1,000 classes when no labels are given), each said in words (pure: no DOM).
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../engine/image';
import { IMAGENET_LABELS } from '../engine/labels';

/** The normalisation the panel applied to the image, and where it came from. */
export interface IAppliedNormalisation {
  /** Per-channel mean, after scaling 8-bit pixels to [0, 1]; empty for a float image. */
  mean: number[];
  /** Per-channel standard deviation; empty for a float image. */
  std: number[];
  /**
   * `given`: explain()'s mean and std; `imagenet`: ImageNet's, assumed; `identity`: none
   * (a 1-channel image without mean and std); `float`: a float image fed as it is.
   */
  source: 'given' | 'imagenet' | 'identity' | 'float';
}

/** The normalisation sentence under the panel's header. */
export function normalisationText(applied: IAppliedNormalisation): string {
  const values = (v: number[]) => v.map(x => String(+x.toFixed(4))).join(', ');
  const numbers = `mean ${values(applied.mean)}, std ${values(applied.std)}`;
  switch (applied.source) {
    case 'given':
      // The file picker's fields start at ImageNet's values: say whose they are.
      return isImageNet(applied)
        ? `Normalised with ImageNet's ${numbers} (as given)`
        : `Normalised with the given ${numbers}`;
    case 'imagenet':
      return `Normalised with ${numbers}: ImageNet's, assumed where none was given`;
    case 'identity':
      return `Not normalised (${numbers}): none was given`;
    case 'float':
      return 'Float image fed as it is (taken as already normalised)';
  }
}

/** The class names to show: the given labels, else ImageNet's for 1,000 classes, with a note. */
export function classNames(
  given: readonly string[],
  classCount: number
): { names: readonly string[]; note: string } {
  if (given.length > 0 || classCount !== IMAGENET_LABELS.length) {
    return { names: given, note: '' };
  }
  return {
    names: IMAGENET_LABELS,
    note: 'ImageNet labels, assumed from 1,000 classes'
  };
}

function isImageNet(applied: IAppliedNormalisation): boolean {
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((v, k) => Math.abs(v - b[k]) < 1e-6);
  return same(applied.mean, IMAGENET_MEAN) && same(applied.std, IMAGENET_STD);
}
