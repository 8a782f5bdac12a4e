/**
 * Unit tests: ts-jest in Node with the real onnxruntime-web (wasm backend).
 * Run through `npm test`, which sets NODE_OPTIONS=--experimental-vm-modules: ORT loads its
 * WebAssembly glue (.mjs) with a dynamic import(), which jest's VM supports only with that flag.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: {
    // tsconfig.json leaves tests out of the build; tsconfig.test.json puts them back.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
  }
};
