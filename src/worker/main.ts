/**
 * The entry of the engine's Web Worker (bundled on its own by webpack.worker.config.js into the
 * labextension's static folder, beside onnxruntime's files). The page configures wasmPaths with
 * its first message, as src/index.ts does for the page itself.
 */
import { EngineHost } from './host';
import type { Port } from './protocol';

new EngineHost(self as unknown as Port);
