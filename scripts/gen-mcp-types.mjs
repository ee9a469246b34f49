#!/usr/bin/env node
// Generates js/mcp_types.d.ts, the TypeScript types of the MCP results, handler params and answers that
// the package hands over (listTools, callTool, readResource, getPrompt, serverInfo, handlers, onProgress),
// from the official MCP schema (schema.json of the specification) of every protocol version the pool speaks.
//
// Source: the official conformance suite, @modelcontextprotocol/conformance, pinned with its integrity in
// tests/conformance/package-lock.json and installed by `make setup`. Its bundle (dist/index.js) carries
// the specification's schema.json of 2025-03-26, 2025-06-18, 2025-11-25 and 2026-07-28 (the stateless
// era) as object literals, in a map keyed by version; this script finds that map with the TypeScript
// parser (no code of the bundle is run) and reads the literals as JSON. (The official SDK's npm package
// ships one version only, a draft, as spec.types.d.ts.)
//
// One type per schema definition, merged over the versions: a property is required only where every
// version that has the definition requires it, its type the union of the versions' types, so a result of
// any version is a value of the type (tests/types/ checks this with tsc: every version's definition,
// translated alone, is assignable to the merged one). Descriptions come from the newest version.
//
//   node scripts/gen-mcp-types.mjs            writes js/mcp_types.d.ts
//   node scripts/gen-mcp-types.mjs --check    exits 1 if js/mcp_types.d.ts is not what it would write
//   node scripts/gen-mcp-types.mjs --versions FILE   also writes each version's definitions, unmerged,
//                                             as namespaces (for the assignability test)
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${root}js/mcp_types.d.ts`;
const SOURCE_PACKAGE = "@modelcontextprotocol/conformance";
const SOURCE_DIR = `${root}tests/conformance/node_modules/${SOURCE_PACKAGE}`;
const LOCK = `${root}tests/conformance/package-lock.json`;
const ts = createRequire(`${root}tests/types/package.json`)("typescript");

/** What the package hands over: these definitions and everything they refer to. */
const ROOTS = [
  "CallToolResult", "ListToolsResult", "ListResourcesResult", "ListResourceTemplatesResult", "ReadResourceResult",
  "ListPromptsResult", "GetPromptResult", "EmptyResult", "InitializeResult", "DiscoverResult",
  "ElicitRequestParams", "ElicitResult", "CreateMessageRequestParams", "CreateMessageResult",
  "ListRootsRequestParams", "ListRootsResult", "ProgressNotificationParams",
];

function fail(message) {
  console.error(`gen-mcp-types: ${message}`);
  process.exit(1);
}

// ---- the schemas, read from the pinned package ----

function readSchemas() {
  const manifest = JSON.parse(readFileSync(`${SOURCE_DIR}/package.json`, "utf8"));
  const locked = JSON.parse(readFileSync(LOCK, "utf8")).packages?.[`node_modules/${SOURCE_PACKAGE}`];
  if (!locked?.integrity) fail(`${SOURCE_PACKAGE} is not pinned with its integrity in ${LOCK}`);
  if (manifest.version !== locked.version) {
    fail(`installed ${SOURCE_PACKAGE} is ${manifest.version}, the lock pins ${locked.version}: run make setup`);
  }
  const text = readFileSync(`${SOURCE_DIR}/dist/index.js`, "utf8");
  const file = ts.createSourceFile("index.js", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const declarations = new Map();
  (function visit(node) {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      declarations.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, visit);
  })(file);
  const literal = (node) => {
    if (ts.isParenthesizedExpression(node)) return literal(node.expression);
    if (ts.isObjectLiteralExpression(node)) {
      const object = {};
      for (const p of node.properties) {
        if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name))) {
          throw new Error(`not a plain property: ${p.getText(file).slice(0, 80)}`);
        }
        object[p.name.text] = literal(p.initializer);
      }
      return object;
    }
    if (ts.isArrayLiteralExpression(node)) return node.elements.map(literal);
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (node.kind === ts.SyntaxKind.NullKeyword) return null;
    if (ts.isPrefixUnaryExpression(node) && ts.isNumericLiteral(node.operand)) {
      if (node.operator === ts.SyntaxKind.ExclamationToken) return !Number(node.operand.text); // minified booleans
      if (node.operator === ts.SyntaxKind.MinusToken) return -Number(node.operand.text);
    }
    throw new Error(`not a literal: ${node.getText(file).slice(0, 80)}`);
  };
  const resolve = (node) => (ts.isIdentifier(node) && declarations.has(node.text) ? declarations.get(node.text) : node);
  // The map { "2025-03-26": <schema>, ..., [<"2026-07-28">]: <schema> }.
  const maps = [];
  for (const init of declarations.values()) {
    if (!ts.isObjectLiteralExpression(init) || init.properties.length < 2) continue;
    const entries = [];
    for (const p of init.properties) {
      if (!ts.isPropertyAssignment(p)) break;
      const key = ts.isComputedPropertyName(p.name) ? resolve(p.name.expression) : p.name;
      if (!(ts.isStringLiteral(key) || ts.isNoSubstitutionTemplateLiteral(key)) || !/^\d{4}-\d\d-\d\d$/.test(key.text)) break;
      const value = resolve(p.initializer);
      if (!ts.isObjectLiteralExpression(value)) break;
      entries.push([key.text, value]);
    }
    if (entries.length === init.properties.length) maps.push(entries);
  }
  if (maps.length !== 1) fail(`expected one map of schemas by version in ${SOURCE_PACKAGE}/dist/index.js, found ${maps.length}`);
  const schemas = new Map(maps[0].map(([version, node]) => [version, literal(node)]).sort(([a], [b]) => a.localeCompare(b)));
  for (const [version, schema] of schemas) {
    if (!/json-schema\.org/.test(schema.$schema ?? "") || !(schema.$defs ?? schema.definitions)) fail(`${version}: not a JSON Schema with definitions`);
  }
  for (const version of ["2025-06-18", "2025-11-25"]) if (!schemas.has(version)) fail(`no schema for ${version}`);
  return { schemas, source: { name: SOURCE_PACKAGE, version: manifest.version, integrity: locked.integrity } };
}

// ---- JSON Schema -> a small type model ----
// { kind: "ref", name } | { kind: "prim", name } | { kind: "lit", value } | { kind: "array", items }
// | { kind: "object", props: Map<name, { type, required, description }>, index: type | null }
// | { kind: "union", members } | { kind: "and", members }

const UNKNOWN = { kind: "prim", name: "unknown" };

function convert(schema) {
  if (schema === true || schema === undefined || schema === null) return UNKNOWN;
  if (schema.$ref) return { kind: "ref", name: schema.$ref.split("/").pop() };
  if (schema.anyOf) return union(schema.anyOf.map(convert));
  if (schema.allOf) return schema.allOf.length === 1 ? convert(schema.allOf[0]) : { kind: "and", members: schema.allOf.map(convert) };
  if ("const" in schema) return { kind: "lit", value: schema.const };
  if (schema.enum) return union(schema.enum.map((value) => ({ kind: "lit", value })));
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? convertObject(schema) : UNKNOWN;
  return union(types.map((type) => {
    switch (type) {
      case "object": return convertObject(schema);
      case "array": return { kind: "array", items: convert(schema.items) };
      case "string": return { kind: "prim", name: "string" };
      case "number": case "integer": return { kind: "prim", name: "number" };
      case "boolean": return { kind: "prim", name: "boolean" };
      case "null": return { kind: "prim", name: "null" };
      default: throw new Error(`type ${type}`);
    }
  }));
}

function convertObject(schema) {
  const required = new Set(schema.required ?? []);
  const props = new Map();
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    props.set(name, { type: convert(sub), required: required.has(name), description: sub.description });
  }
  const extra = schema.additionalProperties;
  // No properties and no word on others: any object.
  const index = extra === false ? null : extra === undefined ? (props.size ? null : UNKNOWN) : convert(extra);
  return { kind: "object", props, index };
}

const key = (t) => JSON.stringify(t, (k, v) => (v instanceof Map ? [...v] : k === "description" ? undefined : v));

function union(members) {
  const flat = [];
  for (const m of members) for (const x of m.kind === "union" ? m.members : [m]) if (!flat.some((y) => key(y) === key(x))) flat.push(x);
  if (flat.some((x) => x.kind === "prim" && x.name === "unknown")) return UNKNOWN;
  return flat.length === 1 ? flat[0] : { kind: "union", members: flat };
}

/** The type of which a value of `a` or of `b` is a value. */
function merge(a, b) {
  if (key(a) === key(b)) return a;
  if (a.kind === "object" && b.kind === "object") {
    const props = new Map();
    for (const name of new Set([...a.props.keys(), ...b.props.keys()])) {
      const x = a.props.get(name), y = b.props.get(name);
      props.set(name, x && y
        ? { type: merge(x.type, y.type), required: x.required && y.required, description: y.description ?? x.description }
        : { ...(x ?? y), required: false });
    }
    const index = a.index && b.index ? merge(a.index, b.index) : a.index || b.index ? UNKNOWN : null;
    return { kind: "object", props, index };
  }
  if (a.kind === "array" && b.kind === "array") return { kind: "array", items: merge(a.items, b.items) };
  const members = [...(a.kind === "union" ? a.members : [a])];
  for (const y of b.kind === "union" ? b.members : [b]) {
    const i = members.findIndex((x) => x.kind === y.kind && (x.kind === "object" || x.kind === "array"));
    if (i >= 0 && y.kind !== "ref" && y.kind !== "lit" && y.kind !== "prim") members[i] = merge(members[i], y);
    else members.push(y);
  }
  return union(members);
}

function definitions(schema) {
  const defs = schema.$defs ?? schema.definitions;
  const out = new Map(Object.entries(defs).map(([name, def]) => [name, { type: convert(def), description: def.description }]));
  // roots/list has no params definition of its own: the handler gets the request's params.
  const rootsParams = defs.ListRootsRequest?.properties?.params;
  if (rootsParams) out.set("ListRootsRequestParams", { type: convert(rootsParams), description: "The params of a `roots/list` request." });
  return out;
}

function refs(type, into) {
  if (type.kind === "ref") into.add(type.name);
  else if (type.kind === "array") refs(type.items, into);
  else if (type.kind === "union" || type.kind === "and") for (const m of type.members) refs(m, into);
  else if (type.kind === "object") {
    for (const p of type.props.values()) refs(p.type, into);
    if (type.index) refs(type.index, into);
  }
  return into;
}

/** The definitions reachable from ROOTS, over every version. */
function closure(perVersion) {
  const names = new Set();
  const queue = [...ROOTS];
  while (queue.length) {
    const name = queue.pop();
    if (names.has(name)) continue;
    const found = [...perVersion.values()].map((defs) => defs.get(name)).filter(Boolean);
    if (!found.length) fail(`no version of the schema defines ${name}`);
    names.add(name);
    for (const def of found) queue.push(...refs(def.type, new Set()));
  }
  return [...names].sort();
}

// ---- the type model -> TypeScript ----

function comment(text, indent) {
  if (!text) return "";
  const lines = text.replace(/\*\//g, "*\\/").split("\n");
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ""}`).join("\n")}\n${indent} */\n`;
}

/** The refs a definition that is a union of refs stands for, transitively. */
let lookup = () => null;
function covered(name, seen = new Set()) {
  const def = lookup(name);
  if (seen.has(name) || def?.type.kind !== "union") return seen;
  seen.add(name);
  for (const m of def.type.members) if (m.kind === "ref") { seen.add(m.name); covered(m.name, seen); }
  return seen;
}

function emit(type, indent = "") {
  switch (type.kind) {
    case "ref": return type.name;
    case "prim": return type.name;
    case "lit": return JSON.stringify(type.value);
    case "array": {
      const items = emit(type.items, indent);
      return /^[\w.]+$/.test(items) ? `${items}[]` : `(${items})[]`;
    }
    case "union": {
      // `TextContent | ContentBlock` is `ContentBlock`: drop the refs another member's union covers.
      const refsCovered = new Set();
      for (const m of type.members) if (m.kind === "ref") for (const n of covered(m.name)) if (n !== m.name) refsCovered.add(n);
      return type.members.filter((m) => m.kind !== "ref" || !refsCovered.has(m.name)).map((m) => emit(m, indent)).join(" | ");
    }
    case "and": return type.members.map((m) => { const s = emit(m, indent); return m.kind === "union" ? `(${s})` : s; }).join(" & ");
    case "object": {
      if (!type.props.size) return type.index ? `{ [key: string]: ${emit(type.index, indent)} }` : "{}";
      const inner = `${indent}  `;
      let out = "{\n";
      for (const [name, p] of [...type.props].sort(([a], [b]) => a.localeCompare(b))) {
        const id = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
        out += comment(p.description, inner) + `${inner}${id}${p.required ? "" : "?"}: ${emit(p.type, inner)};\n`;
      }
      // Declared properties must fit the index signature: an index of a precise type is kept only alone.
      if (type.index) out += `${inner}[key: string]: unknown;\n`;
      return `${out}${indent}}`;
    }
    default: throw new Error(type.kind);
  }
}

function declarations(names, defsOf, indent) {
  lookup = (name) => (names.includes(name) ? defsOf(name) : null);
  return names.map((name) => {
    const def = defsOf(name);
    return `${comment(def.description, indent)}${indent}export type ${name} = ${emit(def.type, indent)};\n`;
  }).join("\n");
}

// ---- main ----

const args = process.argv.slice(2);
const { schemas, source } = readSchemas();
const perVersion = new Map([...schemas].map(([version, schema]) => [version, definitions(schema)]));
const names = closure(perVersion);
const versions = [...perVersion.keys()];
const merged = (name) => {
  let def = null;
  for (const defs of perVersion.values()) {
    const d = defs.get(name);
    if (d) def = def ? { type: merge(def.type, d.type), description: d.description ?? def.description } : d;
  }
  return def;
};
const inVersions = (name) => versions.filter((v) => perVersion.get(v).has(name));
const output =
  `// Generated by scripts/gen-mcp-types.mjs: do not edit (\`node scripts/gen-mcp-types.mjs\` rewrites it).\n` +
  `// The MCP results, handler params and answers the package hands over, from the official MCP schema\n` +
  `// (the specification's schema.json) of ${versions.join(", ")}, as shipped in\n` +
  `// ${source.name} ${source.version} (${source.integrity}).\n` +
  `// Each type is the union of the versions' definitions: required only where every version requires it.\n` +
  `// Servers of 2024-11-05 (not in the source) answer a subset of 2025-03-26.\n\n` +
  `/** The protocol versions these types were generated from. */\n` +
  `export type SchemaVersion = ${versions.map((v) => JSON.stringify(v)).join(" | ")};\n\n` +
  declarations(names, (name) => {
    const def = merged(name);
    const where = inVersions(name);
    const note = where.length === versions.length ? "" : `${def.description ? "\n\n" : ""}Protocol versions: ${where.join(", ")}.`;
    return { ...def, description: `${def.description ?? ""}${note}` || undefined };
  }, "");

if (args.includes("--check")) {
  let current = "";
  try { current = readFileSync(OUT, "utf8"); } catch {}
  if (current !== output) fail("js/mcp_types.d.ts is not what the generator writes: run node scripts/gen-mcp-types.mjs");
  console.log(`gen-mcp-types: js/mcp_types.d.ts is up to date (${names.length} types, ${versions.join(", ")})`);
} else {
  writeFileSync(OUT, output);
  console.log(`gen-mcp-types: wrote js/mcp_types.d.ts (${names.length} types, ${versions.join(", ")})`);
}

const at = args.indexOf("--versions");
if (at >= 0) {
  // Each version alone (no merge) as a namespace, and the names each defines of the merged file.
  let text = "// Generated by scripts/gen-mcp-types.mjs --versions: each version's definitions, unmerged.\n";
  const checks = {};
  for (const [version, defs] of perVersion) {
    const ns = `V${version.replace(/-/g, "_")}`;
    const all = closureOf(defs, names.filter((n) => defs.has(n)));
    text += `\nexport declare namespace ${ns} {\n${declarations(all, (n) => ({ type: defs.get(n).type }), "  ")}}\n`;
    checks[ns] = names.filter((n) => defs.has(n));
  }
  writeFileSync(args[at + 1], text);
  writeFileSync(`${args[at + 1]}.json`, JSON.stringify(checks));
}

/** `start` and every definition of `defs` it refers to. */
function closureOf(defs, start) {
  const seen = new Set();
  const queue = [...start];
  while (queue.length) {
    const name = queue.pop();
    if (seen.has(name) || !defs.has(name)) continue;
    seen.add(name);
    queue.push(...refs(defs.get(name).type, new Set()));
  }
  return [...seen].sort();
}
