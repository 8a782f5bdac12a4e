import * as fs from 'fs';
import * as path from 'path';
import { Explainer } from '../explainer';
jest.setTimeout(120_000);
const ROOT = path.resolve(__dirname, '../../..');
test('dump', async () => {
  for (const f of ['src/__tests__/data/named/resnet18_narrow.onnx', 'src/__tests__/data/named/blocks_net.onnx', '../shared/fixtures/models/mobilenet_v3_small.onnx', 'src/__tests__/data/refs/small_vit.onnx', 'src/__tests__/data/refs/small_cnn.onnx']) {
    const e = await Explainer.load(new Uint8Array(fs.readFileSync(path.join(ROOT, f))), { backend: 'wasm' });
    const lines = e.layers().map(l => `${l.default ? '*' : ' '} ${l.op.padEnd(10)} ${String(l.label).padEnd(40)} ${JSON.stringify(l.modules ?? [])}  ${l.name}`);
    fs.writeFileSync(`/tmp/names/${path.basename(f)}.txt`, lines.join('\n'));
    await e.dispose();
  }
});
