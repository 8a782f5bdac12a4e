/**
 * The table of method traits (src/engine/methods.ts) against the implementations registered in
 * cam/index.ts: each row's kind is its implementation's class, and what a method reads agrees
 * with its row.
 */
import { ForwardCam, GradientCam, IMPLEMENTATIONS, InputMapMethod } from '..';
import {
  isMethodName,
  METHOD_NAMES,
  METHODS,
  methodTraits
} from '../../methods';

describe('the table of methods', () => {
  test.each(METHODS.map(m => [m.name, m]))(
    '%s: its implementation has its name and its kind',
    (name, traits) => {
      const method = IMPLEMENTATIONS[traits.name];
      expect(method.name).toBe(name);
      const kind =
        method instanceof GradientCam
          ? 'gradient'
          : method instanceof ForwardCam
            ? 'forward'
            : method instanceof InputMapMethod
              ? 'input'
              : 'none';
      expect(kind).toBe(traits.kind);
      if (method instanceof ForwardCam) {
        // Model runs per channel are what make a method costly, and what give it a target.
        expect(method.needs === 'model-runs').toBe(traits.costly);
        expect(method.needs === 'model-runs').toBe(traits.hasTarget);
      } else {
        expect(traits.costly).toBe(false);
        expect(traits.hasTarget).toBe(true);
      }
      if (traits.kind !== 'input') {
        expect(traits.usesLayer).toBe(true);
      }
    }
  );

  test('one row per implementation, in the order of METHOD_NAMES', () => {
    expect(Object.keys(IMPLEMENTATIONS).sort()).toEqual(
      [...METHOD_NAMES].sort()
    );
    expect(METHOD_NAMES).toEqual(METHODS.map(m => m.name));
    expect(new Set(METHOD_NAMES).size).toBe(METHODS.length);
  });

  test('look-ups by name', () => {
    expect(methodTraits('scorecam')).toMatchObject({
      kind: 'forward',
      costly: true,
      label: 'Score-CAM'
    });
    expect(methodTraits('guided-gradcam').usesLayer).toBe(true);
    expect(methodTraits('input-gradient').usesLayer).toBe(false);
    expect(isMethodName('gradcam++')).toBe(true);
    expect(isMethodName('gradcam+')).toBe(false);
    expect(() => methodTraits('magic')).toThrow(
      /^unknown method 'magic': use one of gradcam, hirescam, /
    );
  });
});
