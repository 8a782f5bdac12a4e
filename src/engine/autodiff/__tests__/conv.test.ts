import { attr } from '../../onnx/attributes';
import { AttributeProto } from '../../onnx/proto';
import { checkGradient, emittedNodes, random } from './harness';

function weights(count: number, seed: number): number[] {
  const rand = random(seed);
  return Array.from({ length: count }, () => rand() * 2 - 1);
}

/** [input dims, weight dims, attributes] */
type ConvCase = [string, number[], number[], AttributeProto[]];

const cases: ConvCase[] = [
  ['3x3 pads 1', [2, 3, 6, 6], [4, 3, 3, 3], [attr.ints('pads', [1, 1, 1, 1])]],
  [
    '7x7 stride 2 pads 3 (ResNet stem) on 11x11',
    [1, 3, 11, 11],
    [4, 3, 7, 7],
    [attr.ints('strides', [2, 2]), attr.ints('pads', [3, 3, 3, 3])]
  ],
  [
    'stride 2 on an even size 8x8 (output_padding 1)',
    [1, 2, 8, 8],
    [3, 2, 3, 3],
    [attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'stride 3 no pads on 10x11 (trailing elements in no window)',
    [1, 2, 10, 11],
    [2, 2, 3, 3],
    [attr.ints('strides', [3, 3])]
  ],
  [
    'groups=4 stride 2 pads asymmetric [0,1,2,1]',
    [1, 8, 7, 7],
    [8, 2, 3, 3],
    [
      attr.int('group', 4),
      attr.ints('strides', [2, 2]),
      attr.ints('pads', [0, 1, 2, 1])
    ]
  ],
  [
    'depthwise groups=C 3x3 stride 1 pads 1',
    [2, 4, 5, 5],
    [4, 1, 3, 3],
    [attr.int('group', 4), attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'depthwise with channel multiplier 2 (groups=C, M=2C)',
    [1, 3, 5, 5],
    [6, 1, 3, 3],
    [attr.int('group', 3), attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'depthwise with channel multiplier 3, stride 2 (per-multiplier ConvTransposes)',
    [1, 2, 7, 7],
    [6, 1, 3, 3],
    [
      attr.int('group', 2),
      attr.ints('strides', [2, 2]),
      attr.ints('pads', [1, 1, 1, 1])
    ]
  ],
  [
    'dilations 2 pads 2',
    [1, 2, 7, 7],
    [3, 2, 3, 3],
    [attr.ints('dilations', [2, 2]), attr.ints('pads', [2, 2, 2, 2])]
  ],
  [
    'dilations [1,2] stride [2,1] kernel 3x2',
    [1, 2, 8, 7],
    [3, 2, 3, 2],
    [attr.ints('dilations', [1, 2]), attr.ints('strides', [2, 1])]
  ],
  [
    '1x1 pointwise stride 2',
    [1, 4, 6, 6],
    [2, 4, 1, 1],
    [attr.ints('strides', [2, 2])]
  ],
  [
    'auto_pad SAME_UPPER stride 2 on 7x8',
    [1, 2, 7, 8],
    [3, 2, 3, 3],
    [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 2])]
  ],
  [
    'auto_pad SAME_LOWER stride 2 kernel 4 on 6x6',
    [1, 2, 6, 6],
    [3, 2, 4, 4],
    [attr.string('auto_pad', 'SAME_LOWER'), attr.ints('strides', [2, 2])]
  ],
  [
    'groups=2 stride 1 pads asymmetric [0,1,2,1] (flipped Conv)',
    [1, 4, 6, 5],
    [6, 2, 3, 3],
    [attr.int('group', 2), attr.ints('pads', [0, 1, 2, 1])]
  ],
  [
    '1x1 stride 1 pads 1, a pad beyond the kernel (stays a ConvTranspose)',
    [1, 3, 4, 4],
    [2, 3, 1, 1],
    [attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'auto_pad VALID stride 2',
    [1, 2, 7, 7],
    [3, 2, 3, 3],
    [attr.string('auto_pad', 'VALID'), attr.ints('strides', [2, 2])]
  ]
];

/** Stride 1 with every pad within the dilated kernel: the gradient is a flipped Conv. */
function isFlippedConvCase(attributes: AttributeProto[], wDims: number[]) {
  const ints = (name: string) =>
    attributes.find(a => a.name === name)?.ints?.map(Number);
  const rank = wDims.length - 2;
  const strides = ints('strides') ?? Array(rank).fill(1);
  const dilations = ints('dilations') ?? Array(rank).fill(1);
  const pads = ints('pads') ?? Array(2 * rank).fill(0);
  return (
    !attributes.some(a => a.name === 'auto_pad') &&
    strides.every(s => s === 1) &&
    pads.every((p, i) => p <= dilations[i % rank] * (wDims[2 + (i % rank)] - 1))
  );
}

describe('Conv input gradient (ConvTranspose, or a flipped Conv at stride 1) against finite differences', () => {
  for (const opset of [11, 18]) {
    it.each(cases)(
      `Conv %s at opset ${opset}`,
      async (_name, xDims, wDims, attributes) => {
        const run = await checkGradient({
          opset,
          inputs: { x: xDims },
          build: g =>
            g.op(
              'Conv',
              [
                'x',
                g.floats(
                  weights(
                    wDims.reduce((a, b) => a * b, 1),
                    3
                  ),
                  wDims,
                  'W'
                ),
                g.floats(weights(wDims[0], 4), [wDims[0]], 'B')
              ],
              attributes
            )
        });
        const emitted = emittedNodes(run);
        const transposed = emitted.filter(n => n.opType === 'ConvTranspose');
        if (isFlippedConvCase(attributes, wDims)) {
          expect(transposed).toEqual([]);
          expect(emitted.filter(n => n.opType === 'Conv')).toHaveLength(1);
        } else {
          expect(transposed.length).toBeGreaterThan(0);
        }
        for (const node of transposed) {
          const names = (node.attribute ?? []).map(a => a.name);
          expect(names).toEqual(
            expect.arrayContaining(['dilations', 'strides', 'pads'])
          );
          expect(names).not.toContain('output_shape');
        }
      }
    );
  }

  it('Conv 1-D stride 2 pads [1,0] at opset 7', async () => {
    await checkGradient({
      opset: 7,
      inputs: { x: [2, 3, 9] },
      build: g =>
        g.op(
          'Conv',
          ['x', g.floats(weights(2 * 3 * 3, 5), [2, 3, 3], 'W')],
          [attr.ints('strides', [2]), attr.ints('pads', [1, 0])]
        )
    });
  });
});

describe('BatchNormalization (inference) against finite differences', () => {
  it.each([9, 15])(
    'BatchNormalization [2,3,4,4] epsilon 1e-3 at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 3, 4, 4] },
        build: g =>
          g.op(
            'BatchNormalization',
            [
              'x',
              g.floats([0.5, -1.5, 2], [3], 'scale'),
              g.floats([0.1, 0, -0.2], [3], 'bias'),
              g.floats([0.3, -0.1, 0.2], [3], 'mean'),
              g.floats([0.5, 2, 0.1], [3], 'var')
            ],
            [attr.float('epsilon', 1e-3)]
          )
      });
    }
  );
});

describe('a small CNN end to end', () => {
  it.each([11, 13, 18])(
    'Conv-BN-Relu-MaxPool-Conv-Add(residual)-GlobalAveragePool-Flatten-Gemm at opset %i',
    async opset => {
      await checkGradient(
        {
          opset,
          inputs: { x: [2, 3, 8, 8] },
          build: g => {
            const c1 = g.op(
              'Conv',
              ['x', g.floats(weights(4 * 3 * 9, 7), [4, 3, 3, 3], 'W1')],
              [attr.ints('pads', [1, 1, 1, 1])]
            );
            const bn = g.op('BatchNormalization', [
              c1,
              g.floats([1, 0.5, 2, 1.5], [4], 's'),
              g.floats([0, 0.1, 0, -0.1], [4], 'b'),
              g.floats([0, 0.2, 0, 0], [4], 'm'),
              g.floats([1, 1, 2, 0.5], [4], 'v')
            ]);
            const r1 = g.op('Relu', [bn]);
            const p = g.op(
              'MaxPool',
              [r1],
              [
                attr.ints('kernel_shape', [3, 3]),
                attr.ints('strides', [2, 2]),
                attr.ints('pads', [1, 1, 1, 1])
              ]
            );
            const c2 = g.op(
              'Conv',
              [p, g.floats(weights(4 * 4 * 9, 8), [4, 4, 3, 3], 'W2')],
              [attr.ints('pads', [1, 1, 1, 1])]
            );
            const sum = g.op('Relu', [g.op('Add', [c2, p])]);
            const flat = g.op('Flatten', [g.op('GlobalAveragePool', [sum])]);
            return g.op(
              'Gemm',
              [
                flat,
                g.floats(weights(4 * 5, 9), [5, 4], 'fc'),
                g.floats(weights(5, 10), [5], 'fcb')
              ],
              [attr.int('transB', 1)]
            );
          }
        },
        { eps: 1e-3, atol: 3e-3, samples: 120 }
      );
    }
  );
});

const transposeCases: ConvCase[] = [
  [
    '3x3 stride 2 pads 1 output_padding 1 (2x upsampling) on 4x4',
    [1, 3, 4, 4],
    [3, 2, 3, 3],
    [
      attr.ints('strides', [2, 2]),
      attr.ints('pads', [1, 1, 1, 1]),
      attr.ints('output_padding', [1, 1])
    ]
  ],
  [
    '4x4 stride 2 pads 1 (DCGAN / FCN upsampling) batch 2 on 5x5',
    [2, 3, 5, 5],
    [3, 4, 4, 4],
    [attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'groups=2 stride 2 dilations 2 pads asymmetric [0,1,1,0] on 4x5',
    [1, 4, 4, 5],
    [4, 3, 3, 3],
    [
      attr.int('group', 2),
      attr.ints('strides', [2, 2]),
      attr.ints('dilations', [2, 2]),
      attr.ints('pads', [0, 1, 1, 0])
    ]
  ],
  [
    'depthwise groups=C 2x2 stride 2 (bilinear-like upsampling)',
    [1, 3, 4, 4],
    [3, 1, 2, 2],
    [attr.int('group', 3), attr.ints('strides', [2, 2])]
  ],
  [
    'stride 1 pads 1 3x3 batch 2',
    [2, 2, 5, 5],
    [2, 3, 3, 3],
    [attr.ints('pads', [1, 1, 1, 1])]
  ],
  [
    'stride [3,2] output_padding [2,1] kernel 3x2 on 3x4',
    [1, 2, 3, 4],
    [2, 2, 3, 2],
    [attr.ints('strides', [3, 2]), attr.ints('output_padding', [2, 1])]
  ],
  [
    'auto_pad SAME_UPPER stride 2 kernel 3 (odd total pad 1) on 4x5',
    [1, 2, 4, 5],
    [2, 3, 3, 3],
    [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 2])]
  ],
  [
    'auto_pad SAME_LOWER stride 2 kernel 4 output_padding 1 (odd total pad 3) on 4x4',
    [1, 2, 4, 4],
    [2, 3, 4, 4],
    [
      attr.string('auto_pad', 'SAME_LOWER'),
      attr.ints('strides', [2, 2]),
      attr.ints('output_padding', [1, 1])
    ]
  ],
  [
    'auto_pad VALID stride 2 on 3x3',
    [1, 2, 3, 3],
    [2, 2, 3, 3],
    [attr.string('auto_pad', 'VALID'), attr.ints('strides', [2, 2])]
  ],
  [
    'output_shape [8,8] stride 2 kernel 3 on 4x4 (total pad 1)',
    [1, 2, 4, 4],
    [2, 2, 3, 3],
    [attr.ints('output_shape', [8, 8]), attr.ints('strides', [2, 2])]
  ]
];

describe('ConvTranspose (forward op) input gradient: a Conv with the same attributes, against finite differences', () => {
  for (const opset of [10, 18]) {
    it.each(transposeCases)(
      `ConvTranspose %s at opset ${opset}`,
      async (_name, xDims, wDims, attributes) => {
        const group = Number(attributes.find(a => a.name === 'group')?.i ?? 1);
        const run = await checkGradient({
          opset,
          inputs: { x: xDims },
          build: g =>
            g.op(
              'ConvTranspose',
              [
                'x',
                g.floats(
                  weights(
                    wDims.reduce((a, b) => a * b, 1),
                    11
                  ),
                  wDims,
                  'W'
                ),
                g.floats(weights(wDims[1] * group, 12), [wDims[1] * group], 'B')
              ],
              attributes
            )
        });
        const emitted = emittedNodes(run);
        expect(emitted.map(n => n.opType)).not.toContain('ConvTranspose');
        for (const node of emitted.filter(n => n.opType === 'Conv')) {
          const names = (node.attribute ?? []).map(a => a.name);
          expect(names).toEqual(
            expect.arrayContaining(['dilations', 'strides', 'pads', 'group'])
          );
        }
      }
    );
  }

  it('ConvTranspose 1-D stride 3 pads [1,0] output_padding 2 at opset 7', async () => {
    await checkGradient({
      opset: 7,
      inputs: { x: [2, 3, 4] },
      build: g =>
        g.op(
          'ConvTranspose',
          ['x', g.floats(weights(3 * 2 * 3, 13), [3, 2, 3], 'W')],
          [
            attr.ints('strides', [3]),
            attr.ints('pads', [1, 0]),
            attr.ints('output_padding', [2])
          ]
        )
    });
  });

  it('ConvTranspose auto_pad SAME_UPPER 1x1 stride 2 (stride > kernel: onnxruntime clamps the total pad at 0) at opset 18', async () => {
    await checkGradient({
      opset: 18,
      inputs: { x: [1, 2, 3, 3] },
      build: g =>
        g.op(
          'ConvTranspose',
          ['x', g.floats(weights(2 * 2, 14), [2, 2, 1, 1], 'W')],
          [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 2])]
        )
    });
  });
});
