// Runs the reference definitions in tests/bench/states through the npm
// aws-local-stepfunctions engine (its JS API, in-process) and prints
// executions/second as JSON lines: {"name", "executions", "seconds", "execPerSec"}.
// Usage: node states-vs-local-sfn.mjs DIR MIN_SECONDS [NAME...]
import { StateMachine } from '../../node_modules/aws-local-stepfunctions/build/main.node.esm.js';
import fs from 'node:fs';
import path from 'node:path';

const [dir, minSecondsArg, ...only] = process.argv.slice(2);
const minSeconds = Number(minSecondsArg || '3');
const names = fs.readdirSync(dir).filter((f) => f.endsWith('.asl.json')).map((f) => f.slice(0, -'.asl.json'.length)).sort();

for (const name of names) {
  if (only.length && !only.includes(name)) continue;
  const def = JSON.parse(fs.readFileSync(path.join(dir, `${name}.asl.json`), 'utf8'));
  const input = JSON.parse(fs.readFileSync(path.join(dir, `${name}.input.json`), 'utf8'));
  const want = JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, `${name}.output.json`), 'utf8')));
  const sm = new StateMachine(def, { validationOptions: { checkPaths: false, checkArn: false } });
  // Check that it produces the recorded output (the Go side checks the same
  // in TestBenchDefinitions), then warm up for a third of the measured time
  // (at least 200 executions) so V8 has optimised the hot paths, like the
  // Go benchmark's own calibration runs.
  const got = JSON.stringify(await sm.run(input).result);
  if (got !== want) {
    console.error(`${name}: aws-local-stepfunctions output ${got}, want ${want}`);
    process.exit(1);
  }
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round((minSeconds / 3) * 1e9));
  for (let i = 0; i < 200 || process.hrtime.bigint() < warmEnd; i++) await sm.run(input).result;
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds) {
    await sm.run(input).result;
    n++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(JSON.stringify({ name, executions: n, seconds: elapsed, execPerSec: n / elapsed }));
}
