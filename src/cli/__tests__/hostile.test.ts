/**
 * Issue 14's hostile command lines: every case ends in a correct result or in exit 2 with one
 * readable line naming the bad input (no JavaScript-internal wording, no control characters, no
 * stack trace, no hang). Most run in this process through `main`; special files and process-wide
 * settings run in a process of their own. The summary line is the count the issue asks for.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  contractBreach,
  hostileCases,
  HostileCase,
  ROOT,
  runCase
} from './hostile';

jest.setTimeout(600_000);

let tmp: string;
let cases: HostileCase[];

beforeAll(() => {
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.cli.json'],
    { cwd: ROOT }
  );
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-hostile-'));
  cases = hostileCases(tmp);
}, 300_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every hostile command line gets a correct result or one clear error line', async () => {
  const breaches: string[] = [];
  for (const c of cases) {
    const breach = contractBreach(c, await runCase(c));
    if (breach) {
      breaches.push(`${c.name}: ${breach}`);
    }
  }
  console.log(
    `hostile CLI cases: ${cases.length - breaches.length} of ${cases.length} kept the contract`
  );
  expect(breaches).toEqual([]);
});
