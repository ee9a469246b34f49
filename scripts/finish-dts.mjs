#!/usr/bin/env node
// Called by scripts/build-pkg.sh: makes pkg/mcp_edge_pool.d.ts the declarations of the package's entries.
// wasm-bindgen's web target ends it with its loader's types (InitInput with DOM's RequestInfo and
// BufferSource, InitOutput listing the wasm's exports with their mangled closure names, initSync, and a
// default init that the node, browser and workerd entries do not export): those are cut off here, after
// checking that they are exactly that. The `./web` entry, which does export init, has its own web.d.ts.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../pkg/mcp_edge_pool.d.ts", import.meta.url);
const text = readFileSync(file, "utf8");
const cut = text.indexOf("\nexport type InitInput = ");
if (cut < 0) throw new Error("finish-dts: no `export type InitInput` in pkg/mcp_edge_pool.d.ts (wasm-bindgen's output changed?)");
const tail = text.slice(cut);
const declared = [...tail.matchAll(/^export (?:declare )?(?:default )?(?:type|interface|function|class|const) ?(\w+)/gm)].map((m) => m[1]);
const expected = ["InitInput", "InitOutput", "SyncInitInput", "initSync", "__wbg_init"];
if (JSON.stringify(declared) !== JSON.stringify(expected)) {
  throw new Error(`finish-dts: the loader section declares ${declared.join(", ")}, expected ${expected.join(", ")}`);
}
let head = text.slice(0, cut).trimEnd() + "\n";
if (/\bInitOutput\b|\bRequestInfo\b|\bBufferSource\b|__wbg_init/.test(head)) throw new Error("finish-dts: loader types left before the cut");
head = head.replace(/^\/\* tslint:disable \*\/\n\/\* eslint-disable \*\/\n/, "");
writeFileSync(file, `// Types of the package's entries (node, browser, workerd; ./web adds its init in web.d.ts).\n${head}`);
