// The client under test of the official MCP conformance suite (`conformance client --command ...`):
// a small program built on the packed mcp-edge-pool package. The suite starts a test server per
// scenario, runs `node client.mjs <server-url>` with MCP_CONFORMANCE_SCENARIO (the scenario name),
// MCP_CONFORMANCE_PROTOCOL_VERSION (the spec version it runs at) and, for some scenarios,
// MCP_CONFORMANCE_CONTEXT (JSON: credentials and the like), then judges what went over the wire.
// Exit code 0 = the client finished its part; anything else = the client failed.
//
// Every MCP exchange goes through McpPool (registerHttp, get, listTools/callTool, release, close);
// OAuth scenarios plug the small OAuth client of oauth.mjs in through the per-server tokenProvider.
import { McpPool } from "mcp-edge-pool";
import { createOAuthTokenProvider } from "./oauth.mjs";

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
  pool.registerHttp("srv", serverUrl, serverOptions);
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
};

async function runAuth() {
  const tokenProvider = createOAuthTokenProvider({ serverUrl, scenario, context, log });
  await withLease({ tokenProvider }, async (lease) => {
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
