/**
 * Layers by the names a person uses: PyTorch module names (`layer4.1`, `_blocks.15`,
 * `features.12`). Both of torch.onnx's exporters record each node's module scope, each in its
 * own place (one reader per source below): the TorchScript exporter (`dynamo=False`) in the node
 * name (`/layer4/layer4.1/relu_1/Relu`), the dynamo exporter (torch's default since 2.9) in the
 * node's metadata (`pkg.torch.onnx.name_scopes`: `['', 'layer4', 'layer4.1', 'layer4.1.relu',
 * 'relu_16']`). A module's layer is the output of the last node inside its scope (a block's
 * output). Models from other exporters have no module names: their layers are named by tensor
 * only, and a module name gets the "did you mean" of the tensors.
 *
 * One resolver serves the CLI, the request checks and the panel: `resolveLayer` over a table of
 * names (from the graph here, or from the panel's list of layers).
 */
import { GraphIndex } from './onnx/graph';
import { ModelProto, NodeProto } from './onnx/proto';

/** One module scope a node sits in. */
interface Scope {
  /** The module's full name as `named_modules()` gives it (`layer4.1.relu`). */
  module: string;
  /** The scope's segment in the node name (`relu_1`; `layer4.1`): short, for captions. */
  segment: string;
  /** The module's own attribute name (`relu`, `1`). */
  attribute: string;
}

/** The module names of a model's graph: which tensor each module's layer is, and back. */
export class ModuleNames {
  constructor(model: ModelProto, index: GraphIndex = new GraphIndex(model)) {
    const siblings = scopeSiblings(model.graph.node);
    const recorded = new Map<NodeProto, Scope[]>();
    for (const node of model.graph.node) {
      const scopes = dynamoScopes(node) ?? torchScriptScopes(node, siblings);
      if (scopes) {
        recorded.set(node, scopes);
      }
    }
    const scoped = new Set(
      [...recorded.values()].flatMap(scopes => scopes.map(s => s.module))
    );
    // Map order is insertion order: graph order.
    for (const [node, found] of recorded) {
      const { scopes, lentBy } = ownScopes(node, found, index, scoped);
      this._scopes.set(node, scopes);
      const output = node.output.find(o => o && !index.isConstant(o));
      scopes.forEach((scope, k) => {
        if (k + 1 < scopes.length) {
          this._parents.add(scope.module);
        }
        // Graph order is execution order: the last node of a scope is the module's output.
        if (output) {
          this._outputs.set(scope.module, output);
        }
      });
      if (output && lentBy) {
        this._outputs.set(lentBy, output);
      }
    }
    for (const [module, tensor] of this._outputs) {
      const names = this._aliases.get(tensor) ?? [];
      names.push(module);
      this._aliases.set(tensor, names);
    }
    this._index = index;
  }

  /** Whether the graph's nodes carry module scopes (a torch.onnx export, either exporter). */
  get hasModules(): boolean {
    return this._outputs.size > 0;
  }

  /** Every module name with a layer, in graph order of their first node. */
  get modules(): string[] {
    return [...this._outputs.keys()];
  }

  /** The tensor of a module's layer (the output of its last node), if it is a module. */
  outputOf(module: string): string | undefined {
    return this._outputs.get(normaliseModule(module));
  }

  /**
   * The module name a person would use for a tensor: the outermost numbered block whose output
   * it is (`layer4.1`, `features.12`, `_blocks.3`: what `model.layer4[-1]` names), else the
   * innermost module with submodules (`encoder_layer_3`), else the leaf module
   * (`features.relu3`); undefined when no module ends with it.
   */
  moduleOf(tensor: string): string | undefined {
    const names = this._aliases.get(tensor) ?? [];
    const depth = (m: string) => m.split('.').length;
    const blocks = names.filter(m => this._parents.has(m));
    const numbered = blocks.filter(m => /\.\d+$/.test(m));
    const by = (list: string[], sign: number) =>
      [...list].sort((a, b) => sign * (depth(b) - depth(a)))[0];
    return by(numbered, -1) ?? by(blocks, 1) ?? by(names, 1);
  }

  /** Every module name whose layer is this tensor (`layer4`, `layer4.1`, `layer4.1.relu`). */
  namesOf(tensor: string): string[] {
    return [...(this._aliases.get(tensor) ?? [])];
  }

  /**
   * Short captions, unique among `tensors`: a block's output is the block (`layer4.1`); any
   * other layer is its module and what it is (`layer4.1 / relu`, `layer1.0 / add`,
   * `features.0 / conv`). Captions that would repeat take their modules' parents
   * (`encoder_layer_0 / mlp / matmul`), then the op, then a count (`#2`). Undefined for a
   * tensor whose producer has no module scope.
   */
  captions(tensors: readonly string[]): Array<string | undefined> {
    const parts = tensors.map(t => this._captionParts(t));
    const depth = parts.map(() => 1);
    const text = (k: number) => {
      const p = parts[k];
      return p
        ? [...shownOwners(p.owners, depth[k]), ...p.what].join(' / ')
        : undefined;
    };
    // Widen repeated captions one ancestor at a time while that tells them apart.
    for (let round = 0; round < 8; round++) {
      const texts = tensors.map((_, k) => text(k));
      // Only captions of layers in different modules can be told apart by their ancestors.
      const modules = new Map<string, Set<string>>();
      texts.forEach((t, k) => {
        if (t !== undefined) {
          const set = modules.get(t) ?? new Set<string>();
          set.add(parts[k]!.owners.join('/'));
          modules.set(t, set);
        }
      });
      let widened = false;
      texts.forEach((t, k) => {
        if (
          t !== undefined &&
          modules.get(t)!.size > 1 &&
          depth[k] < parts[k]!.owners.length
        ) {
          depth[k]++;
          widened = true;
        }
      });
      if (!widened) {
        break;
      }
    }
    let captions = tensors.map((_, k) => text(k));
    const withOp = counts(captions);
    captions = captions.map((c, k) =>
      c !== undefined && withOp.get(c)! > 1 && !parts[k]!.opSaid
        ? `${c} / ${parts[k]!.op}`
        : c
    );
    const total = counts(captions);
    const seen = new Map<string, number>();
    return captions.map(c => {
      if (c === undefined || total.get(c)! < 2) {
        return c;
      }
      const n = (seen.get(c) ?? 0) + 1;
      seen.set(c, n);
      return n === 1 ? c : `${c} #${n}`;
    });
  }

  /** A caption's pieces: the scopes that own the layer (outermost first) and what it is. */
  private _captionParts(
    tensor: string
  ):
    | { owners: string[]; what: string[]; op: string; opSaid: boolean }
    | undefined {
    const node = this._index.producers.get(tensor);
    const scopes = node ? this._scopes.get(node) : undefined;
    if (!node || !scopes) {
      return undefined;
    }
    const op = node.opType.toLowerCase();
    const segments = scopes.map(s => s.segment);
    const block = this.moduleOf(tensor);
    if (block !== undefined && this._parents.has(block)) {
      const at = scopes.findIndex(s => s.module === block);
      return {
        owners: segments.slice(0, at + 1),
        what: [],
        op,
        opSaid: false
      };
    }
    const last = scopes[scopes.length - 1];
    const insideLeaf = !this._parents.has(last.module);
    // A Sequential's children are numbered (`features.0.0`): say what the layer is instead.
    const named = insideLeaf && !/^\d+$/.test(last.attribute);
    const owners = insideLeaf ? segments.slice(0, -1) : segments;
    const what = named ? last.attribute : op;
    return owners.length > 0
      ? { owners, what: [what], op, opSaid: !named }
      : { owners: [what], what: [], op, opSaid: !named };
  }

  private _index: GraphIndex;
  private _scopes = new Map<NodeProto, Scope[]>();
  private _outputs = new Map<string, string>();
  private _aliases = new Map<string, string[]>();
  private _parents = new Set<string>();
}

/** A layer as a name table row: its tensor and the names that reach it. */
export interface NamedLayer {
  /** The ONNX tensor name. */
  name: string;
  /** Module names of the layer (`layer4.1`, `layer4`), if the model has them. */
  modules?: readonly string[];
}

/** A layer name that names no layer, with the nearest few names. */
export class UnknownLayerError extends Error {
  constructor(
    readonly asked: string,
    readonly suggestions: string[],
    what: string
  ) {
    super(
      `unknown layer '${asked}'` +
        (suggestions.length > 0
          ? `; did you mean ${suggestions.map(s => `'${s}'`).join(', ')}?`
          : '') +
        ` (${what})`
    );
  }
}

/**
 * The tensor a layer name means: a tensor name, a module name (`layer4.1`, also written
 * `layer4[1]`), or a node name (`/layer4/layer4.1/relu_1/Relu`). Throws `UnknownLayerError`
 * with the nearest few names for a miss.
 */
export function resolveLayer(
  asked: string,
  layers: readonly NamedLayer[],
  graph?: { modules?: ModuleNames; index?: GraphIndex }
): string {
  const text = asked.trim();
  if (layers.some(l => l.name === text) || graph?.index?.producers.has(text)) {
    return text;
  }
  const module = normaliseModule(text);
  const listed = layers.find(l => l.modules?.includes(module));
  if (listed) {
    return listed.name;
  }
  const fromGraph = graph?.modules?.outputOf(module);
  if (fromGraph) {
    return fromGraph;
  }
  const node = graph?.index
    ? [...graph.index.producers.values()].find(n => n.name === text)
    : undefined;
  if (node?.output[0]) {
    return node.output[0];
  }
  const moduleLike = !text.includes('/') && !text.includes('::');
  const names = layers.flatMap(l =>
    moduleLike && l.modules?.length ? l.modules : [l.name]
  );
  const hasModules = layers.some(l => l.modules?.length);
  throw new UnknownLayerError(
    text,
    nearestNames(text, names),
    hasModules
      ? 'a layer is named by its module or its ONNX tensor; the layers verb lists them'
      : "this model's nodes carry no module names (torch.onnx's exporters write them): name an ONNX tensor; the layers verb lists them"
  );
}

/**
 * The `count` names nearest to `asked`: names it starts or ends (a prefix typed, a block
 * number wrong) first, then by edit distance.
 */
export function nearestNames(
  asked: string,
  names: readonly string[],
  count = 3
): string[] {
  const unique = [...new Set(names)];
  const lower = asked.toLowerCase();
  return unique
    .map(name => {
      const n = name.toLowerCase();
      const related =
        lower.length > 0 && (n.startsWith(lower) || n.endsWith(lower)) ? 0 : 1;
      return { name, related, distance: editDistance(lower, n) };
    })
    .sort(
      (a, b) =>
        a.related - b.related ||
        a.distance - b.distance ||
        a.name.length - b.name.length
    )
    .slice(0, count)
    .map(x => x.name);
}

/**
 * Ops that only move, reshape or pass data on: their maps repeat their input's, so the panel's
 * layer list hides them unless asked to show every layer.
 */
const PLUMBING = new Set([
  'Pad',
  'Identity',
  'Dropout',
  'Shape',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Cast',
  'Constant',
  'ConstantOfShape',
  'Expand',
  'Gather',
  'Slice',
  'Tile'
]);

/** Whether a layer made by this op is pure plumbing (hidden from the layer list by default). */
export function isPlumbing(op: string): boolean {
  return PLUMBING.has(op);
}

/** Levenshtein distance: insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
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

/** `layer4[1]` and `model.layer4.1` as `layer4.1`. */
function normaliseModule(name: string): string {
  return name
    .trim()
    .replace(/\[(-?\d+)\]/g, '.$1')
    .replace(/^model\./, '');
}

/**
 * The last `depth` owners as a caption shows them: a Sequential's scope repeats its parent's
 * (`features/features.3`, `block/block.0`), so a parent its child names is left out.
 */
function shownOwners(owners: readonly string[], depth: number): string[] {
  const named = owners.filter(
    (o, k) => k + 1 >= owners.length || !owners[k + 1].startsWith(`${o}.`)
  );
  return named.slice(-depth);
}

function counts<T>(values: readonly T[]): Map<T, number> {
  const found = new Map<T, number>();
  values.forEach(v => found.set(v, (found.get(v) ?? 0) + 1));
  return found;
}

/** A scope path (`/layer4/layer4.1`) -> the scope segments seen under it (to tell `relu_1`, a repeat call, apart). */
function scopeSiblings(nodes: readonly NodeProto[]): Map<string, Set<string>> {
  const siblings = new Map<string, Set<string>>();
  for (const node of nodes) {
    const segments = scopeSegments(node);
    let path = '';
    for (const segment of segments ?? []) {
      const set = siblings.get(path) ?? new Set<string>();
      set.add(segment);
      siblings.set(path, set);
      path = `${path}/${segment}`;
    }
  }
  return siblings;
}

/** The scope segments of a TorchScript-exported node name (`/layer4/layer4.1/relu_1/Relu`). */
function scopeSegments(node: NodeProto): string[] | undefined {
  const name = node.name ?? '';
  const segments = name.split('/').filter(s => s.length > 0);
  if (!name.startsWith('/') || segments.length < 2) {
    return undefined;
  }
  return segments.slice(0, -1);
}

/** Source 1, the TorchScript exporter: the scopes in the node's name. */
function torchScriptScopes(
  node: NodeProto,
  siblings: ReadonlyMap<string, ReadonlySet<string>>
): Scope[] | undefined {
  const segments = scopeSegments(node);
  if (!segments) {
    return undefined;
  }
  const scopes: Scope[] = [];
  let parent = '';
  let path = '';
  for (const segment of segments) {
    // A module called twice in one forward gets `_1` on its second scope (`relu_1`).
    const repeat = /^(.+)_(\d+)$/.exec(segment);
    const called =
      repeat && siblings.get(path)?.has(repeat[1]) ? repeat[1] : segment;
    const module = joinModule(parent, called);
    scopes.push({
      module,
      segment: called,
      attribute: module.split('.').pop()!
    });
    parent = module;
    path = `${path}/${segment}`;
  }
  return scopes;
}

/**
 * A scope's full module name: torch writes a module's name from its last non-numeric part
 * (`layer4.1`, `block.0.0`) under its caller's scope; a container that was never called
 * (a ModuleList: `_blocks.3` at the top) leaves its part in the segment.
 */
function joinModule(parent: string, segment: string): string {
  const parts = segment.split('.');
  const head = parts.slice(0, -1).join('.');
  if (parent === '') {
    return segment;
  }
  if (head !== '' && (parent === head || parent.endsWith(`.${head}`))) {
    return `${parent}.${parts[parts.length - 1]}`;
  }
  return `${parent}.${segment}`;
}

/**
 * Source 2, the dynamo exporter: the node's `pkg.torch.onnx.name_scopes`, a Python list's repr
 * of full module names from the root (`''`) down, then the FX node's own name (`relu_16`).
 * Undefined for a node without it, or outside every module (`['', 'view']`).
 */
function dynamoScopes(node: NodeProto): Scope[] | undefined {
  const recorded = node.metadataProps?.find(
    p => p.key === 'pkg.torch.onnx.name_scopes'
  )?.value;
  if (recorded === undefined) {
    return undefined;
  }
  // Module names and FX node names hold no quotes: each item is a plain quoted string.
  const items = [...recorded.matchAll(/'([^']*)'|"([^"]*)"/g)].map(
    m => m[1] ?? m[2]
  );
  const modules = items.slice(0, -1).filter(m => m !== '');
  return modules.length > 0 ? modules.map(scopeOf) : undefined;
}

/** A module's scope as the TorchScript exporter writes its segment: from its last non-numeric part. */
function scopeOf(module: string): Scope {
  const parts = module.split('.');
  let from = parts.length - 1;
  while (from > 0 && /^\d+$/.test(parts[from])) {
    from--;
  }
  return {
    module,
    segment: parts.slice(from).join('.'),
    attribute: parts[parts.length - 1]
  };
}

/**
 * Source 3, the parameters' names: whose op a node is. Folding a BatchNorm into the Conv before
 * it leaves the dynamo exporter's Conv in the BatchNorm's scope (`layer1.0.bn1`) with the Conv's
 * weight (`layer1.0.conv1.weight`), and the Conv's module with no node of its own. A weight of
 * such a sibling module gives the node back its own scope, as the TorchScript exporter names it
 * (`layer1.0.conv1`), and the module that lent its scope still names the output (`lentBy`: the
 * BatchNorm's output is the folded Conv's). A tied weight's module has nodes of its own
 * (`scoped`): it moves nothing.
 */
function ownScopes(
  node: NodeProto,
  scopes: Scope[],
  index: GraphIndex,
  scoped: ReadonlySet<string>
): { scopes: Scope[]; lentBy?: string } {
  const leaf = scopes[scopes.length - 1].module;
  const parent = scopes.length > 1 ? scopes[scopes.length - 2].module : '';
  const owner = node.input
    .filter(i => index.initializers.has(i) && i.endsWith('.weight'))
    .map(i => i.slice(0, -'.weight'.length))
    .find(m => !scoped.has(m) && isChildOf(m, parent));
  return owner === undefined
    ? { scopes }
    : { scopes: [...scopes.slice(0, -1), scopeOf(owner)], lentBy: leaf };
}

/** Whether `module` is a direct child of `parent` (`''`: the root). */
function isChildOf(module: string, parent: string): boolean {
  const rest =
    parent === ''
      ? module
      : module.startsWith(`${parent}.`)
        ? module.slice(parent.length + 1)
        : undefined;
  return rest !== undefined && rest !== '' && !rest.includes('.');
}
