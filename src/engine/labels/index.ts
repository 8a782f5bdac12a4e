/**
 * Class names shipped with the extension: ImageNet-1k's, in class order (imagenet.json, made
 * once by scripts/make_imagenet_labels.py from torchvision's weights metadata).
 */
import imagenet from './imagenet.json';

/** The 1,000 ImageNet class names by index (`281` is `tabby`). */
export const IMAGENET_LABELS: readonly string[] = imagenet;
