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
  const sm = new StateMachine(def, { validationOptions: { checkPaths: false, checkArn: false } });
  // Warm up, then run executions back to back until minSeconds have passed.
  for (let i = 0; i < 3; i++) await sm.run(input).result;
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
