/**
 * Issue 14's hostile command lines: every case ends in a correct result or in exit 2 with one
 * readable line naming the bad input (no JavaScript-internal wording, no control characters, no
 * stack trace, no hang). Most run in this process through `main`; special files and process-wide
 * settings run in a process of their own. The summary line is the count the issue asks for.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../main';
import {
  contractBreach,
  hostileCases,
  HostileCase,
  Outcome,
  ROOT
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

/** Runs one case; a case that takes over `limitS` seconds counts as a hang. */
export async function runCase(
  c: HostileCase,
  limitS = 60
): Promise<Outcome> {
  if (c.subprocess) {
    const result = spawnSync(
      process.execPath,
      ['bin/jupyterlab-gradcam.js', ...c.argv],
      { cwd: ROOT, encoding: 'utf8', timeout: limitS * 1000 }
    );
    return {
      code: result.error ? null : result.status,
      stdout: result.stdout ?? '',
      stderr: result.error ? `hung: ${result.error.message}` : result.stderr
    };
  }
  let stdout = '';
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<number | null>(resolve => {
    timer = setTimeout(() => resolve(null), limitS * 1000);
  });
  try {
    const code = await Promise.race([
      main(
        c.argv,
        text => (stdout += text),
        text => (stderr += text)
      ),
      hang
    ]);
    return { code, stdout, stderr: code === null ? 'hung' : stderr };
  } catch (error) {
    return { code: null, stdout, stderr: `threw: ${(error as Error).stack}` };
  } finally {
    clearTimeout(timer);
  }
}

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
