/** Image operations of the engine: pure TypeScript, no DOM. */
export * from './box';
export * from './colormap';
export * from './layout';
export * from './overlay';
export * from './resize';
export * from './scale';
