import { attr } from '../../onnx/attributes';
import { AttributeProto } from '../../onnx/proto';
import { checkGradient } from './harness';

/** [name, input dims, scales or undefined, sizes or undefined, attributes] */
type ResizeCase = [
  string,
  number[],
  number[] | undefined,
  number[] | undefined,
  AttributeProto[]
];

const linear = (transform: string) => [
  attr.string('mode', 'linear'),
  attr.string('coordinate_transformation_mode', transform)
];
const nearest = (transform: string, rounding: string) => [
  attr.string('mode', 'nearest'),
  attr.string('coordinate_transformation_mode', transform),
  attr.string('nearest_mode', rounding)
];

const cases: ResizeCase[] = [
  [
    'linear half_pixel scales 2 (bilinear upsampling)',
    [1, 2, 3, 4],
    [1, 1, 2, 2],
    undefined,
    linear('half_pixel')
  ],
  [
    'linear align_corners sizes 3x4 -> 7x5',
    [1, 2, 3, 4],
    undefined,
    [1, 2, 7, 5],
    linear('align_corners')
  ],
  [
    'linear pytorch_half_pixel sizes 8x6 -> 3x4 (downsampling)',
    [1, 2, 8, 6],
    undefined,
    [1, 2, 3, 4],
    linear('pytorch_half_pixel')
  ],
  [
    'linear asymmetric scales 1.5',
    [2, 1, 4, 4],
    [1, 1, 1.5, 1.5],
    undefined,
    linear('asymmetric')
  ],
  [
    'nearest asymmetric floor scales 2x3',
    [1, 2, 3, 3],
    [1, 1, 2, 3],
    undefined,
    nearest('asymmetric', 'floor')
  ],
  [
    'nearest half_pixel round_prefer_floor sizes 4x5 -> 7x3',
    [1, 2, 4, 5],
    undefined,
    [1, 2, 7, 3],
    nearest('half_pixel', 'round_prefer_floor')
  ],
  [
    'nearest tf_half_pixel_for_nn round_prefer_ceil scales 1.5',
    [1, 1, 4, 4],
    [1, 1, 1.5, 1.5],
    undefined,
    nearest('tf_half_pixel_for_nn', 'round_prefer_ceil')
  ]
];

describe('Resize (linear maps: the differences are exact) against finite differences', () => {
  for (const opset of [13, 19]) {
    it.each(cases)(
      `Resize %s at opset ${opset}`,
      async (_name, dims, scales, sizes, attributes) => {
        await checkGradient({
          opset,
          inputs: { x: dims },
          build: g => {
            const roi = g.floats([], [0], 'roi');
            const inputs = scales
              ? ['x', roi, g.floats(scales, [4], 'scales')]
              : ['x', roi, '', g.ints(sizes!)];
            return g.op('Resize', inputs, attributes);
          }
        });
      }
    );
  }

  it('Resize-10 nearest scales 2 (asymmetric, as Upsample) at opset 10', async () => {
    await checkGradient({
      opset: 10,
      inputs: { x: [1, 2, 3, 3] },
      build: g =>
        g.op(
          'Resize',
          ['x', g.floats([1, 1, 2, 2], [4], 'scales')],
          [attr.string('mode', 'nearest')]
        )
    });
  });

  it('Resize of the channel axis is refused, naming the axis', async () => {
    await expect(
      checkGradient({
        opset: 13,
        inputs: { x: [1, 2, 3, 3] },
        build: g =>
          g.op('Resize', [
            'x',
            g.floats([], [0], 'roi'),
            g.floats([1, 2, 1, 1], [4], 'scales')
          ])
      })
    ).rejects.toThrow(/Resize node .*resizes axis 1 \(2 -> 4\)/);
  });
});
