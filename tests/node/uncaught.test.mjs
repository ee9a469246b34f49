// An uncaught McpPoolError as Node prints it: the code on the first line of the stack, the caller's
// file among the frames, the class's own name, and no dump of a minified source line (every line
// under 300 characters). Node prints the source line where an error was made: host.js builds every
// McpPoolError, and it ships unminified for that reason (scripts/build-pkg.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function runUncaught(t, name, body) {
  // The script lives beside this file, so that `mcp-edge-pool` resolves to the installed tarball.
  const file = path.join(here, `${name}.uncaught.mjs`);
  writeFileSync(file, `import { McpPool } from 'mcp-edge-pool';\n${body}\n`);
  t.after(() => rmSync(file, { force: true }));
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, file };
}

for (const [name, body, code] of [
  ['sync-throw', 'new McpPool({ maxConnectionsPerServer: 0 });', 'INVALID_CONFIG'],
  ['rejection', 'const pool = new McpPool();\nawait pool.get("nope");', 'UNKNOWN_SERVER'],
]) {
  test(`an uncaught McpPoolError (${name}) prints readably`, (t) => {
    const { status, stderr, file } = runUncaught(t, name, body);
    assert.notEqual(status, 0, 'the process failed');
    const lines = stderr.split('\n');
    const head = lines.find((l) => l.startsWith('McpPoolError'));
    assert.ok(head, `a line starts with the class name:\n${stderr}`);
    assert.ok(head.startsWith(`McpPoolError [${code}]: `), `the code comes first: ${head}`);
    if (name === 'sync-throw') assert.ok(stderr.includes(path.basename(file)), `the caller's file is among the frames:\n${stderr}`);
    const long = lines.filter((l) => l.length > 300);
    assert.deepEqual(long.map((l) => l.slice(0, 80)), [], 'no line longer than 300 characters');
    assert.doesNotMatch(stderr, /\b_ \[McpPoolError\]/, 'the class keeps its name');
  });
}
