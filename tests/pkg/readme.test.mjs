// What an npm user gets besides the code: the packed tarball's README is the npm-facing one
// (js/README.md, not the contributors' README.md), every link in it works where it is read (a relative
// link names a file of the tarball, and of the repository root, against which the registry's page
// resolves it; an in-page link names a heading; a link into the repository names a file that
// exists), and the licences and the repository/homepage/bugs fields ship. Runs on the built pkg/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(repo, "pkg");

let scratch;
let listed; // the files `npm pack --dry-run --json` lists
let packedReadme; // README.md as it is inside the packed tarball
let packedManifest;

before(() => {
  assert.ok(existsSync(path.join(pkg, "package.json")), "pkg/ is built (scripts/build-pkg.sh)");
  const dry = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", pkg], { encoding: "utf8", cwd: repo }));
  listed = new Set(dry[0].files.map((f) => f.path));
  scratch = mkdtempSync(path.join(tmpdir(), "readme-pack-"));
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch, pkg], { encoding: "utf8", cwd: repo }));
  const tarball = path.join(scratch, packed[0].filename);
  packedReadme = execFileSync("tar", ["-xzOf", tarball, "package/README.md"], { encoding: "utf8" });
  packedManifest = JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The repository URL the package names, without "git+" and ".git". */
function repositoryUrl(manifest) {
  const url = typeof manifest.repository === "string" ? manifest.repository : manifest.repository?.url;
  return String(url ?? "").replace(/^git\+/, "").replace(/\.git$/, "");
}

/** Markdown with code blocks, code spans and HTML comments taken out (links there are not links). */
function prose(markdown) {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "")
    .replace(/`[^`\n]*`/g, "");
}

/** Every link target: inline links and images, reference definitions, HTML href/src. */
function links(markdown) {
  const text = prose(markdown);
  const out = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) out.push(m[1]);
  for (const m of text.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** GitHub's (and the registry's) anchor for a heading. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(markdown) {
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => slug(m[1])));
}

test("the tarball's README is the npm one, not the contributors' README", () => {
  const npmReadme = readFileSync(path.join(repo, "js/README.md"), "utf8");
  const contributors = readFileSync(path.join(repo, "README.md"), "utf8");
  assert.ok(listed.has("README.md"), "npm pack lists README.md");
  assert.equal(packedReadme, npmReadme, "the packed README.md is js/README.md");
  assert.notEqual(packedReadme, contributors);
  // What a user needs first, per runtime.
  assert.match(packedReadme, /^## Install$/m);
  assert.match(packedReadme, /npm install mcp-edge-pool/);
  for (const heading of ["Node", "Cloudflare Workers", "Browser with Vite", "Browser with esbuild", "Options", "Errors", "Troubleshooting"]) {
    assert.match(packedReadme, new RegExp(`^#{2,3} ${heading}$`, "m"), `a "${heading}" section`);
  }
  // esbuild needs ESM output (top-level await) and the .wasm copied next to the bundle.
  const esbuild = packedReadme.slice(packedReadme.indexOf("### Browser with esbuild"), packedReadme.indexOf("### Browser without a bundler"));
  assert.match(esbuild, /--format=esm/);
  assert.match(esbuild, /cp node_modules\/mcp-edge-pool\/mcp_edge_pool_bg\.wasm dist\//);
  // Nothing of the contributors' README that names files outside the tarball.
  for (const name of ["BENCHMARKS.md", "RELIABILITY.md", "make test"]) {
    assert.ok(!links(packedReadme).some((l) => l.includes(name)) && !prose(packedReadme).includes(name), `no ${name}`);
  }
});

test("every link of the shipped README resolves: in the tarball, in the page, or in the repository", () => {
  const base = repositoryUrl(packedManifest);
  assert.match(base, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/, `repository URL: ${base}`);
  const tracked = new Set(execFileSync("git", ["ls-files"], { cwd: repo, encoding: "utf8" }).split("\n").filter(Boolean));
  const headings = anchors(packedReadme);
  const found = links(packedReadme);
  assert.ok(found.length >= 10, `read the README's links: ${found.join(" ")}`);
  const problems = [];
  let relative = 0;
  let intoRepo = 0;
  for (const link of found) {
    if (link.startsWith("#")) {
      if (!headings.has(link.slice(1))) problems.push(`${link}: no such heading`);
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
      if (!link.startsWith("https://")) problems.push(`${link}: not https`);
      if (link.startsWith("https://github.com/") && !(link === base || link.startsWith(`${base}/`) || link.startsWith(`${base}#`))) {
        problems.push(`${link}: a GitHub link outside the package's repository ${base}`);
      }
      const m = link.startsWith(`${base}/`) ? /^\/(?:blob|tree)\/main\/([^#?]+)/.exec(link.slice(base.length)) : null;
      if (m) {
        intoRepo++;
        const file = decodeURIComponent(m[1]).replace(/\/$/, "");
        if (!tracked.has(file) && ![...tracked].some((f) => f.startsWith(`${file}/`))) problems.push(`${link}: ${file} is not in the repository`);
      }
    } else {
      relative++;
      const file = path.posix.normalize(decodeURIComponent(link.replace(/[#?].*$/, ""))).replace(/^\.\//, "");
      if (file.startsWith("..") || file.startsWith("/")) problems.push(`${link}: outside the package`);
      else if (!listed.has(file)) problems.push(`${link}: ${file} is not in the tarball`);
      else if (!tracked.has(file)) problems.push(`${link}: ${file} is not at the repository root (where the registry's page resolves it)`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(relative >= 2 && intoRepo >= 2, `relative links ${relative}, links into the repository ${intoRepo}`);
});

test("the licences and the repository, homepage and bugs fields are in the tarball", () => {
  for (const file of ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "package.json"]) assert.ok(listed.has(file), `npm pack lists ${file}`);
  for (const file of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.equal(readFileSync(path.join(pkg, file), "utf8"), readFileSync(path.join(repo, file), "utf8"), `pkg/${file} is the repository's`);
  }
  assert.match(readFileSync(path.join(repo, "LICENSE-MIT"), "utf8"), /^MIT License\n[\s\S]*Permission is hereby granted, free of charge/);
  assert.match(readFileSync(path.join(repo, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
  assert.equal(packedManifest.license, "MIT OR Apache-2.0");
  const cargo = readFileSync(path.join(repo, "Cargo.toml"), "utf8");
  assert.match(cargo, /^license = "MIT OR Apache-2.0"$/m, "the crate's licence is the package's");
  const crateRepo = /^repository = "([^"]+)"$/m.exec(cargo)?.[1];
  const base = repositoryUrl(packedManifest);
  assert.equal(base, crateRepo, "package.json and Cargo.toml name the same repository");
  assert.equal(packedManifest.repository.type, "git");
  assert.ok(packedManifest.homepage.startsWith(base), `homepage ${packedManifest.homepage}`);
  assert.equal(packedManifest.bugs.url, `${base}/issues`);
});

test("the README's Node quick start runs as written against a real MCP server (TS SDK)", async (t) => {
  const { startTsServer } = await import("../js/servers.mjs");
  const server = await startTsServer();
  t.after(() => server.stop());
  const section = packedReadme.slice(packedReadme.indexOf("### Node"), packedReadme.indexOf("### Cloudflare Workers"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, "the Node section has a js block");
  // Only what points it at this server and its tools changes; each replacement must find its text.
  const replacements = [
    ['from "mcp-edge-pool"', `from ${JSON.stringify(new URL("node.mjs", `file://${pkg}/`).href)}`],
    ['"https://mcp.example.com/mcp"', JSON.stringify(server.url)],
    ['callTool("search", { q: "wasm" }', 'callTool("echo", { message: "wasm" }'],
  ];
  let script = code;
  for (const [from, to] of replacements) {
    assert.ok(script.includes(from), `the snippet has ${from}`);
    script = script.replace(from, to);
  }
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  t.diagnostic(`snippet printed: ${out.trim()}`);
  assert.match(out, /^\d+ \[ \{ type: 'text', text: 'wasm' \} \]\n$/);
  const stats = await server.stats();
  assert.equal(stats.initialize, 1, "one session");
  assert.equal(stats.deleted, 1, "pool.close() ended it");
  assert.equal(stats.toolCalls.echo, 1);
});
