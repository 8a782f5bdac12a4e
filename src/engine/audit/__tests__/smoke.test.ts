import { readFileSync } from 'fs';
import { join } from 'path';
import { Explainer } from '../../explainer';
import { imagesFromTensor, runAudit } from '..';
import { makeShapes, MODELS } from './shapesData';

jest.setTimeout(600_000);
test('smoke', async () => {
  const data = makeShapes(300);
  for (const name of ['shapes_biased.onnx', 'shapes.onnx']) {
    const explainer = await Explainer.load(
      new Uint8Array(readFileSync(join(MODELS, name))),
      { backend: 'wasm' }
    );
    const t0 = Date.now();
    const { report } = await runAudit(
      explainer,
      imagesFromTensor(data.images),
      {
        labels: data.labels,
        classes: data.classes,
        mean: data.mean,
        std: data.std,
        boxes: undefined
      } as any
    );
    console.log(
      name,
      (Date.now() - t0) / 1000,
      JSON.stringify(
        report.classes.map(c => ({
          n: c.name,
          count: c.count,
          acc: c.accuracy,
          f: c.flagged,
          r: c.region,
          conc: c.concentration,
          sd: c.score_drop,
          cd: c.control_drop,
          fr: c.flip_rate,
          cfr: c.control_flip_rate,
          cl: c.clusters.map(k => k.size),
          peaks: c.by_label!.peaks
        }))
      ),
      report.seconds
    );
    const r2 = await runAudit(explainer, imagesFromTensor(data.images), {
      labels: data.labels,
      classes: data.classes,
      mean: data.mean,
      std: data.std,
      objects: data.boxes
    });
    console.log(
      name,
      'boxes',
      JSON.stringify(
        r2.report.classes.map(c => ({
          n: c.name,
          f: c.flagged,
          r: c.region,
          conc: c.concentration,
          sd: c.score_drop,
          cd: c.control_drop,
          fr: c.flip_rate,
          cfr: c.control_flip_rate,
          out: c.by_label!.outside_energy
        }))
      ),
      r2.report.seconds
    );
    await explainer.dispose();
  }
  data.remove();
});
