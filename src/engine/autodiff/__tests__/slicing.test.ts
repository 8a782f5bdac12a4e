import { attr } from '../../onnx/attributes';
import { checkGradient, emittedNodes } from './harness';

describe('Concat and Split against finite differences', () => {
  it.each([7, 13])(
    'Concat axis=1 of [2,2,3], [2,1,3], [2,3,3] at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { a: [2, 2, 3], b: [2, 1, 3], c: [2, 3, 3] },
        build: g => g.op('Concat', ['a', 'b', 'c'], [attr.int('axis', 1)])
      });
    }
  );

  it('Concat axis=-1 with a constant part', async () => {
    await checkGradient({
      opset: 13,
      inputs: { a: [2, 3] },
      build: g =>
        g.op(
          'Concat',
          [g.floats([1, 2], [2, 1], 'k'), 'a'],
          [attr.int('axis', -1)]
        )
    });
  });

  it('Split axis=1 split=[1,2] as attribute at opset 11, both outputs used', async () => {
    await checkGradient({
      opset: 11,
      inputs: { x: [2, 3, 2] },
      build: g => {
        const [p, q] = g.node(
          'Split',
          ['x'],
          [attr.int('axis', 1), attr.ints('split', [1, 2])],
          2
        );
        return g.op('Concat', [q, p], [attr.int('axis', 1)]);
      }
    });
  });

  it('Split split=[2,1] as input at opset 13, one output off the path gets zeros', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [3, 2] },
      build: g => g.node('Split', ['x', g.ints([2, 1])], [], 2)[1]
    });
  });

  it('Split num_outputs=3 at opset 18, the middle output only', async () => {
    await checkGradient({
      opset: 18,
      inputs: { x: [2, 6] },
      build: g =>
        g.node(
          'Split',
          ['x'],
          [attr.int('axis', -1), attr.int('num_outputs', 3)],
          3
        )[1]
    });
  });
});

describe('Slice against finite differences', () => {
  it('Slice as attributes starts=[1] ends=[3] axes=[1] at opset 9', async () => {
    await checkGradient({
      opset: 9,
      inputs: { x: [2, 4, 3] },
      build: g =>
        g.op(
          'Slice',
          ['x'],
          [
            attr.ints('starts', [1]),
            attr.ints('ends', [3]),
            attr.ints('axes', [1])
          ]
        )
    });
  });

  it('Slice as attributes without axes, ends past the end (clamped), at opset 7', async () => {
    await checkGradient({
      opset: 7,
      inputs: { x: [3, 4] },
      build: g =>
        g.op(
          'Slice',
          ['x'],
          [attr.ints('starts', [1, -3]), attr.ints('ends', [1000, -1])]
        )
    });
  });

  it.each([10, 13])(
    'Slice as inputs, two axes, negative start, at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [2, 5, 6] },
        build: g =>
          g.op('Slice', ['x', g.ints([-4, 1]), g.ints([5, 6]), g.ints([1, 2])])
      });
    }
  );

  it.each([10, 18])(
    'Slice steps=[2,3] (strided, both axes) at opset %i',
    async opset => {
      const run = await checkGradient({
        opset,
        inputs: { x: [2, 7, 8] },
        build: g =>
          g.op('Slice', [
            'x',
            g.ints([1, 0]),
            g.ints([7, 8]),
            g.ints([1, 2]),
            g.ints([2, 3])
          ])
      });
      // Only WebGPU-safe ops in the backward: no ScatterND, no negative-step Slice.
      const ops = emittedNodes(run).map(n => n.opType);
      expect(ops).not.toContain('ScatterND');
      expect(ops).not.toContain('ScatterElements');
    }
  );

  it('Slice steps=2 whose spread runs past the end of X (size 6, start 1: elements 1,3,5)', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 6] },
      build: g =>
        g.op('Slice', ['x', g.ints([1]), g.ints([6]), g.ints([1]), g.ints([2])])
    });
  });

  it('Slice steps=[-1] (reversal) and steps=[-2] from the middle at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 7] },
      build: g =>
        g.op('Slice', [
          'x',
          g.ints([-1]),
          g.ints([-1000]),
          g.ints([1]),
          g.ints([-1])
        ])
    });
    const run = await checkGradient({
      opset: 13,
      inputs: { x: [2, 7] },
      build: g =>
        g.op('Slice', [
          'x',
          g.ints([5]),
          g.ints([0]),
          g.ints([1]),
          g.ints([-2])
        ])
    });
    for (const node of emittedNodes(run).filter(n => n.opType === 'Slice')) {
      expect(node.input.length).toBeLessThan(5);
    }
  });

  it('Slice with steps on a 4-D [N,C,H,W] tensor (a stride-2 subsample), opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [1, 2, 5, 6] },
      build: g =>
        g.op('Slice', [
          'x',
          g.ints([0, 1]),
          g.ints([5, 6]),
          g.ints([2, 3]),
          g.ints([2, 2])
        ])
    });
  });
});

describe('Pad against finite differences', () => {
  it('Pad constant, pads as attribute [0,0,1,2, 0,0,2,1] at opset 10', async () => {
    await checkGradient({
      opset: 10,
      inputs: { x: [1, 2, 3, 3] },
      build: g =>
        g.op(
          'Pad',
          ['x'],
          [
            attr.ints('pads', [0, 0, 1, 2, 0, 0, 2, 1]),
            attr.float('value', 0.5)
          ]
        )
    });
  });

  it.each([11, 13])(
    'Pad constant, pads as input with a constant value, at opset %i',
    async opset => {
      await checkGradient({
        opset,
        inputs: { x: [1, 2, 3, 3] },
        build: g =>
          g.op('Pad', [
            'x',
            g.ints([0, 0, 1, 0, 0, 0, 0, 2]),
            g.floats([1.5], [], 'v')
          ])
      });
    }
  );

  it('Pad with negative pads (cropping) on one side at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 5] },
      build: g => g.op('Pad', ['x', g.ints([0, -1, 0, 2])])
    });
  });

  it('Pad with axes=[-1] as input at opset 18', async () => {
    await checkGradient({
      opset: 18,
      inputs: { x: [2, 3, 4] },
      build: g => g.op('Pad', ['x', g.ints([2, 1]), '', g.ints([-1])])
    });
  });

  const padModes: Array<[string, number]> = [
    ['reflect', 10],
    ['reflect', 11],
    ['reflect', 18],
    ['edge', 10],
    ['edge', 13]
  ];

  it.each(padModes)(
    'Pad %s [1,2,4,5] pads [0,0,2,1, 0,0,1,3] (asymmetric, H and W) at opset %i',
    async (mode, opset) => {
      const pads = [0, 0, 2, 1, 0, 0, 1, 3];
      await checkGradient({
        opset,
        inputs: { x: [1, 2, 4, 5] },
        build: g =>
          opset >= 11
            ? g.op('Pad', ['x', g.ints(pads)], [attr.string('mode', mode)])
            : g.op(
                'Pad',
                ['x'],
                [attr.ints('pads', pads), attr.string('mode', mode)]
              )
      });
    }
  );

  it('Pad reflect with the widest pads (size - 1 = 2 on each side of 3x3) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 1, 3, 3] },
      build: g =>
        g.op(
          'Pad',
          ['x', g.ints([0, 0, 2, 2, 0, 0, 2, 2])],
          [attr.string('mode', 'reflect')]
        )
    });
  });

  it('Pad edge with pads wider than the axis ([2,3] pads [0,5, 0,4]) at opset 13', async () => {
    await checkGradient({
      opset: 13,
      inputs: { x: [2, 3] },
      build: g =>
        g.op('Pad', ['x', g.ints([0, 5, 0, 4])], [attr.string('mode', 'edge')])
    });
  });

  it.each(['reflect', 'edge'])(
    'Pad %s on the channel axis and with pads on one side only, at opset 11',
    async mode => {
      await checkGradient({
        opset: 11,
        inputs: { x: [1, 3, 2, 4] },
        build: g =>
          g.op(
            'Pad',
            ['x', g.ints([0, 2, 0, 0, 0, 0, 0, 1])],
            [attr.string('mode', mode)]
          )
      });
    }
  );

  it.each(['reflect', 'edge'])(
    'Pad %s with axes=[-1, 1] as input at opset 18',
    async mode => {
      await checkGradient({
        opset: 18,
        inputs: { x: [2, 3, 4] },
        build: g =>
          g.op(
            'Pad',
            ['x', g.ints([2, 1, 3, 0]), '', g.ints([-1, 1])],
            [attr.string('mode', mode)]
          )
      });
    }
  );

  it('Pad reflect emits no negative-step Slice (WebGPU) and reverses borders with a Gather', async () => {
    const run = await checkGradient({
      opset: 13,
      inputs: { x: [1, 1, 5] },
      build: g =>
        g.op(
          'Pad',
          ['x', g.ints([0, 0, 3, 0, 0, 2])],
          [attr.string('mode', 'reflect')]
        )
    });
    const ops = emittedNodes(run).map(n => n.opType);
    expect(ops).toContain('Gather');
    expect(ops).not.toContain('ScatterND');
  });

  it('Pad in wrap mode (opset 19) is refused with a message naming the mode', async () => {
    await expect(
      checkGradient({
        opset: 19,
        inputs: { x: [2, 5] },
        build: g =>
          g.op(
            'Pad',
            ['x', g.ints([0, 1, 0, 1])],
            [attr.string('mode', 'wrap')]
          )
      })
    ).rejects.toThrow(/Pad node .*mode is 'wrap'/);
  });
});
