import { attr } from '../../onnx/attributes';
import { AttributeProto } from '../../onnx/proto';
import {
  checkGradient,
  distinct,
  emittedNodes,
  ForwardSpec,
  gradientOf,
  random,
  values
} from './harness';

const N = 2;
const C = 3;

function pool(
  op: string,
  dims: number[],
  opset: number,
  attributes: AttributeProto[]
): ForwardSpec {
  return {
    opset,
    inputs: { x: dims },
    build: g => g.op(op, ['x'], attributes)
  };
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** MaxPool's backward computed directly: each window's gradient to its first maximum in scan order. */
function referenceMaxPoolGrad(
  x: Float32Array,
  dims: number[],
  seed: Float32Array,
  k: number[],
  s: number[],
  pads: number[],
  out: number[]
): number[] {
  const [n, c, h, w] = dims;
  const grad = new Array(x.length).fill(0);
  let o = 0;
  for (let b = 0; b < n * c; b++) {
    for (let i = 0; i < out[0]; i++) {
      for (let j = 0; j < out[1]; j++, o++) {
        let best = -Infinity;
        let at = -1;
        for (let a = 0; a < k[0]; a++) {
          for (let e = 0; e < k[1]; e++) {
            const r = i * s[0] - pads[0] + a;
            const q = j * s[1] - pads[1] + e;
            if (r < 0 || q < 0 || r >= h || q >= w) {
              continue;
            }
            const v = x[b * h * w + r * w + q];
            if (v > best) {
              best = v;
              at = b * h * w + r * w + q;
            }
          }
        }
        grad[at] += seed[o];
      }
    }
  }
  return grad;
}

describe('MaxPool against finite differences', () => {
  const cases: Array<[string, number[], AttributeProto[]]> = [
    [
      'k=2 s=2',
      [N, C, 6, 6],
      [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]
    ],
    [
      'k=3 s=2 pads 1 (ResNet stem, overlapping windows)',
      [N, C, 9, 9],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1])
      ]
    ],
    [
      'k=3 s=2 pads 1 on an even size 8x8',
      [1, C, 8, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1])
      ]
    ],
    [
      'k=2 s=2 on an odd size 5x7 (trailing row and column in no window)',
      [1, 2, 5, 7],
      [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]
    ],
    ['k=2 s=1 overlapping', [1, 2, 5, 5], [attr.ints('kernel_shape', [2, 2])]],
    [
      'k=3x2 s=2x1 asymmetric pads [0,1,1,0]',
      [1, 2, 6, 5],
      [
        attr.ints('kernel_shape', [3, 2]),
        attr.ints('strides', [2, 1]),
        attr.ints('pads', [0, 1, 1, 0])
      ]
    ],
    [
      'k=3 s=2 ceil_mode',
      [1, C, 8, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.int('ceil_mode', 1)
      ]
    ],
    [
      'k=2 s=2 ceil_mode on 7x7 with pads 1',
      [1, 2, 7, 7],
      [
        attr.ints('kernel_shape', [2, 2]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1]),
        attr.int('ceil_mode', 1)
      ]
    ],
    [
      'k=2 dilations 2',
      [1, 2, 7, 7],
      [attr.ints('kernel_shape', [2, 2]), attr.ints('dilations', [2, 2])]
    ],
    [
      'k=3 s=2 auto_pad SAME_UPPER',
      [1, 2, 8, 7],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.string('auto_pad', 'SAME_UPPER')
      ]
    ],
    [
      'k=2 s=2 auto_pad SAME_LOWER',
      [1, 2, 5, 5],
      [
        attr.ints('kernel_shape', [2, 2]),
        attr.ints('strides', [2, 2]),
        attr.string('auto_pad', 'SAME_LOWER')
      ]
    ]
  ];
  for (const opset of [10, 13, 18]) {
    it.each(cases)(
      `MaxPool %s %j at opset ${opset}`,
      async (_name, dims, attributes) => {
        const run = await checkGradient(
          pool('MaxPool', dims, opset, attributes),
          {
            values: { x: distinct(size(dims), random(11)) }
          }
        );
        const ops = emittedNodes(run).map(n => n.opType);
        expect(ops).not.toContain('ScatterElements');
        expect(ops).not.toContain('MaxPool');
      }
    );
  }

  it('MaxPool 1-D k=3 s=2 pads 1 [N,C,L] at opset 13', async () => {
    await checkGradient(
      pool('MaxPool', [N, C, 9], 13, [
        attr.ints('kernel_shape', [3]),
        attr.ints('strides', [2]),
        attr.ints('pads', [1, 1])
      ]),
      { values: { x: distinct(N * C * 9, random(12)) } }
    );
  });

  it('MaxPool with its Indices output used in the forward graph (the Indices get no gradient)', async () => {
    await checkGradient(
      {
        opset: 13,
        inputs: { x: [1, 2, 4, 4] },
        build: g =>
          g.node(
            'MaxPool',
            ['x'],
            [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])],
            2
          )[0]
      },
      { values: { x: distinct(32, random(13)) } }
    );
  });

  it('MaxPool at opset 8 asks for the opset to be raised (no strided Slice before opset 10)', async () => {
    await expect(
      gradientOf(
        pool('MaxPool', [1, 1, 4, 4], 8, [
          attr.ints('kernel_shape', [2, 2]),
          attr.ints('strides', [2, 2])
        ])
      )
    ).rejects.toThrow(/MaxPool node .*opset 8 lacks: raise the model's opset/);
  });
});

describe('MaxPool with tied maxima: exact values, the first maximum in scan order (as PyTorch)', () => {
  it('MaxPool k=2 s=2 with tied maxima (an all-zero input)', async () => {
    const run = await gradientOf(
      pool('MaxPool', [1, 1, 4, 4], 13, [
        attr.ints('kernel_shape', [2, 2]),
        attr.ints('strides', [2, 2])
      ]),
      {
        values: { x: new Float32Array(16) },
        seed: Float32Array.from([1, 2, 3, 4])
      }
    );
    expect(values(run.gradients.x)).toEqual([
      1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0
    ]);
  });

  const tied: Array<[string, number[], number[], number[], number[]]> = [
    [
      'k=3 s=2 pads 1 (overlapping windows)',
      [2, 3, 9, 9],
      [3, 3],
      [2, 2],
      [1, 1, 1, 1]
    ],
    [
      'k=2 s=1 (overlapping windows)',
      [1, 2, 6, 6],
      [2, 2],
      [1, 1],
      [0, 0, 0, 0]
    ],
    ['k=3 s=3', [1, 2, 9, 9], [3, 3], [3, 3], [0, 0, 0, 0]]
  ];
  it.each(tied)(
    'MaxPool %s with tied maxima in 0/1 inputs',
    async (_name, dims, k, s, pads) => {
      const rand = random(21);
      const x = Float32Array.from({ length: size(dims) }, () =>
        rand() < 0.3 ? 1 : 0
      );
      const out = [0, 1].map(
        i => Math.floor((dims[i + 2] + pads[i] + pads[i + 2] - k[i]) / s[i]) + 1
      );
      const seed = Float32Array.from(
        { length: dims[0] * dims[1] * out[0] * out[1] },
        (_, i) => (i % 7) + 1
      );
      for (const opset of [12, 18]) {
        const run = await gradientOf(
          pool('MaxPool', dims, opset, [
            attr.ints('kernel_shape', k),
            attr.ints('strides', s),
            attr.ints('pads', pads)
          ]),
          { values: { x }, seed }
        );
        expect(values(run.gradients.x)).toEqual(
          referenceMaxPoolGrad(x, dims, seed, k, s, pads, out)
        );
      }
    }
  );
});

describe('AveragePool against finite differences', () => {
  const cases: Array<[string, number[], AttributeProto[]]> = [
    [
      'k=2 s=2',
      [N, C, 6, 6],
      [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]
    ],
    [
      'k=3 s=2 pads 1 count_include_pad=0',
      [1, C, 7, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1])
      ]
    ],
    [
      'k=3 s=2 pads 1 count_include_pad=1',
      [1, C, 7, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1]),
        attr.int('count_include_pad', 1)
      ]
    ],
    [
      'k=3x2 s=1 asymmetric pads [1,0,0,1]',
      [1, 2, 5, 5],
      [attr.ints('kernel_shape', [3, 2]), attr.ints('pads', [1, 0, 0, 1])]
    ],
    [
      'k=2 s=2 on odd size 5x5',
      [1, 2, 5, 5],
      [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]
    ],
    [
      'k=3 s=2 auto_pad SAME_UPPER',
      [1, 2, 8, 7],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.string('auto_pad', 'SAME_UPPER')
      ]
    ]
  ];
  for (const opset of [7, 13, 19]) {
    it.each(cases)(
      `AveragePool %s %j at opset ${opset}`,
      async (_name, dims, attributes) => {
        await checkGradient(pool('AveragePool', dims, opset, attributes));
      }
    );
  }

  const ceil: Array<[string, number[], AttributeProto[]]> = [
    [
      'k=3 s=2 ceil_mode count_include_pad=0',
      [1, 2, 8, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.int('ceil_mode', 1)
      ]
    ],
    [
      'k=3 s=2 ceil_mode pads 1 count_include_pad=1',
      [1, 2, 8, 8],
      [
        attr.ints('kernel_shape', [3, 3]),
        attr.ints('strides', [2, 2]),
        attr.ints('pads', [1, 1, 1, 1]),
        attr.int('ceil_mode', 1),
        attr.int('count_include_pad', 1)
      ]
    ],
    [
      'k=2 s=2 ceil_mode count_include_pad=1 on 5x5',
      [1, 2, 5, 5],
      [
        attr.ints('kernel_shape', [2, 2]),
        attr.ints('strides', [2, 2]),
        attr.int('ceil_mode', 1),
        attr.int('count_include_pad', 1)
      ]
    ]
  ];
  for (const opset of [10, 18]) {
    it.each(ceil)(
      `AveragePool %s %j at opset ${opset}`,
      async (_name, dims, attributes) => {
        await checkGradient(pool('AveragePool', dims, opset, attributes));
      }
    );
  }

  it('AveragePool k=2 dilations 2 at opset 19', async () => {
    await checkGradient(
      pool('AveragePool', [1, 2, 7, 7], 19, [
        attr.ints('kernel_shape', [2, 2]),
        attr.ints('dilations', [2, 2])
      ])
    );
  });
});

describe('global pools', () => {
  it.each([8, 13])('GlobalAveragePool [2,3,4,5] at opset %i', async opset => {
    await checkGradient(pool('GlobalAveragePool', [N, C, 4, 5], opset, []));
  });

  it.each([8, 13])('GlobalMaxPool [2,3,4,5] at opset %i', async opset => {
    await checkGradient(pool('GlobalMaxPool', [N, C, 4, 5], opset, []), {
      values: { x: distinct(120, random(5)) }
    });
  });

  it('GlobalMaxPool with tied maxima goes to the first position', async () => {
    const run = await gradientOf(pool('GlobalMaxPool', [1, 2, 2, 2], 13, []), {
      values: { x: Float32Array.from([0, 1, 1, 0, 2, 2, 2, 2]) },
      seed: Float32Array.from([5, 7])
    });
    expect(values(run.gradients.x)).toEqual([0, 5, 0, 0, 7, 0, 0, 0]);
  });

  it.each([8, 13])(
    'squeeze-and-excitation x * Sigmoid(GlobalAveragePool(x)) at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [N, 4, 3, 3] },
        build: g =>
          g.op('Mul', [
            'x',
            g.op('Sigmoid', [g.op('GlobalAveragePool', ['x'])])
          ])
      });
    }
  );
});
