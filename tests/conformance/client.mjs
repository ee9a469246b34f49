// The client under test of the official MCP conformance suite (`conformance client --command ...`):
// a small program built on the packed mcp-edge-pool package. The suite starts a test server per
// scenario, runs `node client.mjs <server-url>` with MCP_CONFORMANCE_SCENARIO (the scenario name),
// MCP_CONFORMANCE_PROTOCOL_VERSION (the spec version it runs at) and, for some scenarios,
// MCP_CONFORMANCE_CONTEXT (JSON: credentials and the like), then judges what went over the wire.
// Exit code 0 = the client finished its part; anything else = the client failed.
//
// Every MCP exchange goes through McpPool (registerHttp, get, listTools/callTool, release, close);
// OAuth scenarios plug the small OAuth client of oauth.mjs in through the per-server tokenProvider.
import { createHash } from "node:crypto";
import { McpPool } from "mcp-edge-pool";
import { createDpopKey, createOAuthTokenProvider } from "./oauth.mjs";

const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
const serverUrl = process.argv[2];
const context = process.env.MCP_CONFORMANCE_CONTEXT ? JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) : {};
const log = (...args) => console.error(`[client ${scenario}]`, ...args);

if (!serverUrl) {
  console.error("usage: MCP_CONFORMANCE_SCENARIO=<scenario> node client.mjs <server-url>");
  process.exit(2);
}

/** A pool with one server, "srv"; short timeouts so a failing scenario fails fast. */
function newPool(serverOptions = {}) {
  const pool = new McpPool({
    clientInfo: { name: "mcp-edge-pool-conformance", version: "0.1.0" },
    healthCheckIntervalMs: 0,
    acquireTimeoutMs: 15_000,
    requestTimeoutMs: 15_000,
    circuitBreakerThreshold: 0,
  });
  // The suite says which lifecycle to run: the stateless era at 2026-07-28, the handshake before.
  const era = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION === "2026-07-28" ? "modern" : "legacy";
  pool.registerHttp("srv", serverUrl, { era, ...serverOptions });
  pool.onNotification((server, { method }) => log("notification", server, method));
  return pool;
}

/** Runs `body(lease)` on a lease of "srv", then releases it and closes the pool (DELETE). */
async function withLease(serverOptions, body) {
  const pool = newPool(serverOptions);
  try {
    const lease = await pool.get("srv");
    try {
      return await body(lease);
    } finally {
      lease.release();
    }
  } finally {
    await pool.close();
  }
}

/** initialize, tools/list, tools/call of the first tool: what most scenarios expect. */
async function listAndCallFirst(serverOptions = {}, args = { a: 2, b: 3 }) {
  await withLease(serverOptions, async (lease) => {
    const { tools } = await lease.listTools();
    log("tools:", tools.map((t) => t.name).join(", "));
    if (tools[0]) {
      const result = await lease.callTool(tools[0].name, args);
      log("called", tools[0].name, "->", JSON.stringify(result).slice(0, 200));
    }
  });
}

/** Fills in the `default` of every property of an elicitation's requestedSchema that the user left out (SEP-1034). */
function applyElicitationDefaults(requestedSchema, content) {
  const out = { ...content };
  for (const [key, prop] of Object.entries(requestedSchema?.properties ?? {})) {
    if (!(key in out) && prop && Object.hasOwn(prop, "default")) out[key] = prop.default;
  }
  return out;
}

const scenarios = {
  initialize: () => listAndCallFirst(),
  tools_call: () => listAndCallFirst(),

  "elicitation-sep1034-client-defaults": () =>
    withLease(
      {
        // The server asks outside the tool call (no related request), on the standalone stream,
        // which opens by default because a handler is registered (no serverStream option).
        handlers: {
          // The "user" accepts without typing anything; the client applies the schema's defaults.
          elicitation: async (params) => ({
            action: "accept",
            content: applyElicitationDefaults(params.requestedSchema, {}),
          }),
        },
      },
      async (lease) => {
        const { tools } = await lease.listTools();
        const tool = tools.find((t) => t.name === "test_client_elicitation_defaults");
        if (!tool) throw new Error("tool test_client_elicitation_defaults not listed");
        const result = await lease.callTool(tool.name, {});
        log("result", JSON.stringify(result));
      },
    ),

  // SEP-2322 (2026-07-28): tools answer InputRequiredResult; the pool fulfils them through the
  // elicitation handler and re-sends. An unrelated call runs alongside, and must carry nothing of it.
  "sep-2322-client-request-state": () =>
    withLease(
      { handlers: { elicitation: async () => ({ action: "accept", content: { confirmed: true } }) } },
      async (lease) => {
        const { tools } = await lease.listTools();
        log("tools:", tools.map((t) => t.name).join(", "));
        const [echo, unrelated] = await Promise.all([
          lease.callTool("test_mrtr_echo_state", {}),
          lease.callTool("test_mrtr_unrelated", {}),
        ]);
        const noState = await lease.callTool("test_mrtr_no_state", {});
        const noType = await lease.callTool("test_mrtr_no_result_type", {});
        log("results:", JSON.stringify([echo, unrelated, noState, noType]).slice(0, 400));
      },
    ),

  // SEP-2243 (2026-07-28): list first (that is where x-mcp-header annotations are learnt), then
  // make the calls the suite asks for; their annotated arguments travel as Mcp-Param-* headers.
  "http-custom-headers": () =>
    withLease({}, async (lease) => {
      const { tools } = await lease.listTools();
      log("tools:", tools.map((t) => t.name).join(", "));
      for (const call of context.toolCalls ?? []) {
        const result = await lease.callTool(call.name, call.arguments ?? {});
        log("called", call.name, "->", JSON.stringify(result).slice(0, 200));
      }
    }),

  // SEP-2106: a tool whose inputSchema has a network $ref; list only, never fetch it.
  "json-schema-ref-no-deref": () =>
    withLease({}, async (lease) => {
      const { tools } = await lease.listTools();
      log("tools:", tools.map((t) => t.name).join(", "));
    }),

  // SEP-1613: the inputSchema must reach the caller exactly as the server sent it; echo it back.
  "json-schema-2020-12-preservation": () =>
    withLease({}, async (lease) => {
      const { tools } = await lease.listTools();
      const focal = tools.find((t) => t.name === "json_schema_2020_12_tool");
      if (!focal) throw new Error("tool json_schema_2020_12_tool not listed");
      await lease.callTool("json_schema_echo", { schema: focal.inputSchema });
    }),

  // SEP-2640 skills extension: listing must not fetch files; loading must verify them.
  "sep-2640-client-no-prefetch": () => skillsHost({ load: false }),
  "sep-2640-client-verify-digest": () => skillsHost({ load: true }),
  "sep-2640-client-verify-size": () => skillsHost({ load: true }),
  "sep-2640-client-verify-frontmatter": () => skillsHost({ load: true }),
};

/** The text of a resources/read result's first content. */
function resourceText(result) {
  const c = result?.contents?.[0];
  if (typeof c?.text === "string") return c.text;
  if (typeof c?.blob === "string") return Buffer.from(c.blob, "base64").toString("utf8");
  throw new Error("resources/read returned no content");
}

/** The `key: value` pairs of a SKILL.md's YAML frontmatter (the flat subset skills use). */
function frontmatter(text) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text);
  if (!m) throw new Error("SKILL.md has no frontmatter");
  const out = {};
  for (const line of m[1].split(/\r?\n/)) {
    const kv = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (kv) out[kv[1]] = kv[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return out;
}

/**
 * A minimal skills host (SEP-2640 extension): lists skills; loading one reads its files through the
 * pool, each checked against the listed entry (byte size, sha256 digest, SKILL.md frontmatter) before
 * it is used; a file that fails stops the load, and nothing after it is read.
 */
async function skillsHost({ load }) {
  await withLease({}, async (lease) => {
    const { skills = [] } = await lease.request("skills/list", {});
    log("skills:", skills.map((s) => s.uri).join(", "));
    if (!load) return; // nothing asked for a skill: no file is read ahead of need
    for (const skill of skills) {
      // SKILL.md first: the skill is only loaded once it verified.
      const files = [...skill.resources].sort((a, b) => (a.uri === skill.uri ? -1 : b.uri === skill.uri ? 1 : 0));
      for (const entry of files) {
        const text = resourceText(await lease.readResource(entry.uri));
        const bytes = Buffer.from(text, "utf8");
        if (bytes.length !== entry.size) throw new Error(`${entry.uri}: ${bytes.length} bytes, the entry says ${entry.size}: rejected`);
        const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
        if (digest !== entry.digest) throw new Error(`${entry.uri}: digest ${digest} does not match ${entry.digest}: rejected`);
        if (entry.uri === skill.uri) {
          const fm = frontmatter(text);
          for (const [k, v] of Object.entries(skill.frontmatter ?? {})) {
            if (fm[k] !== v) throw new Error(`${entry.uri}: frontmatter ${k} is '${fm[k]}', the entry says '${v}': rejected`);
          }
        }
        log("verified", entry.uri);
      }
    }
  });
}

async function runAuth() {
  // DPoP (SEP-1932) for its scenarios: one key for the token request and every MCP request.
  const dpop = /^auth\/dpop/.test(scenario) ? createDpopKey() : undefined;
  const tokenProvider = createOAuthTokenProvider({ serverUrl, scenario, context, dpop, log });
  await withLease({ tokenProvider, ...(dpop && { dpop: { proof: dpop.proof } }) }, async (lease) => {
    const { tools } = await lease.listTools();
    log("tools:", tools.map((t) => t.name).join(", "));
    if (tools.some((t) => t.name === "test-tool")) await lease.callTool("test-tool", {});
  });
}

async function main() {
  const run = scenarios[scenario] ?? (scenario.startsWith("auth/") ? runAuth : () => listAndCallFirst());
  await run();
}

main().then(
  () => process.exit(0),
  (error) => {
    log("failed:", error?.code ?? "", error?.message ?? error, error?.status ? `(HTTP ${error.status})` : "");
    process.exit(1);
  },
);
