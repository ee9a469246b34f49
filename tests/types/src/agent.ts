// An agent as a TypeScript user writes one, compiled (never run) by tests/types/types.test.mjs against the
// packed package under tsc --strict, without skipLibCheck, for Node, a browser and a Worker. Every
// `@ts-expect-error` line must be an error: if the types let it through, tsc fails ("Unused directive").
import {
  McpPool,
  McpPoolError,
  type CallToolResult,
  type ContentBlock,
  type GetOptions,
  type McpPoolErrorCode,
  type Mcp,
  type ServerDescription,
  type Tool,
} from "mcp-edge-pool";
import { memoryStore } from "mcp-edge-pool/store";

/** Every code, exhaustively: a code added to the union without a case here does not compile. */
export function advice(code: McpPoolErrorCode): string {
  switch (code) {
    case "STDIO_UNSUPPORTED":
    case "INVALID_CONFIG":
    case "INVALID_ARGUMENT":
    case "INVALID_URL":
    case "INVALID_SERVER_NAME":
    case "DUPLICATE_SERVER":
    case "UNKNOWN_SERVER":
    case "UNKNOWN_TOOL":
    case "FOREIGN_LEASE":
    case "LEASE_RELEASED":
    case "POOL_CLOSED":
      return "a bug of ours";
    case "CIRCUIT_OPEN":
    case "ACQUIRE_TIMEOUT":
    case "REQUEST_TIMEOUT":
    case "CONNECT_FAILED":
    case "NETWORK_ERROR":
    case "SESSION_CLOSED":
      return "retry later";
    case "HTTP_ERROR":
    case "PROTOCOL_ERROR":
    case "RPC_ERROR":
    case "UNSUPPORTED_PROTOCOL_VERSION":
    case "RESPONSE_TOO_LARGE":
    case "CROSS_ORIGIN_ENDPOINT":
      return "the server's fault";
    case "AUTH_FAILED":
      return "log in again";
    case "ABORTED":
      return "cancelled";
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

// @ts-expect-error: not a code of the union
advice("NOT_A_CODE");

/** Every kind of content block, exhaustively (the union is discriminated by `type`). */
export function text(block: ContentBlock): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "image":
    case "audio":
      return `${block.mimeType}, ${block.data.length} base64 chars`;
    case "resource_link":
      return block.uri;
    case "resource":
      return "text" in block.resource ? block.resource.text : block.resource.uri;
    default: {
      const unreachable: never = block;
      return unreachable;
    }
  }
}

export async function agent(): Promise<string> {
  await using pool = new McpPool({ maxConnectionsPerServer: 2, clientInfo: { name: "agent", version: "1.0.0" } });
  pool.registerHttp("docs", "http://127.0.0.1:9/mcp", {
    // null: no token until the server's first challenge
    tokenProvider: async (challenge) => (challenge?.scope ? `token for ${challenge.scope}` : null),
    handlers: {
      elicitation: async (params) =>
        "requestedSchema" in params ? { action: "accept", content: { answer: params.message } } : { action: "decline" },
      sampling: (params) => ({ role: "assistant", model: "echo", content: { type: "text", text: `${params.maxTokens}` } }),
      roots: () => ({ roots: [{ uri: "file:///work", name: "work" }] }),
    },
  });
  const getOptions: GetOptions = { timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) };
  // @ts-expect-error: `fresh` means nothing to get()
  await pool.get("docs", { fresh: true });
  try {
    using client = await pool.get("docs", getOptions);
    const info: ServerDescription | undefined = client.serverInfo;
    // initialize names the server in serverInfo; server/discover (2026-07-28) in its _meta.
    const implementation = info && ("serverInfo" in info ? info.serverInfo : info._meta?.["io.modelcontextprotocol/serverInfo"]);
    const server = `${implementation?.name} ${implementation?.version} ${client.protocolVersion}`;
    const { tools } = await client.listTools({ fresh: true });
    const first: Tool = tools[0];
    // @ts-expect-error: a misspelt field of a result
    console.log(tools[0].nmae);
    const result: CallToolResult = await client.callTool(first.name, { q: "wasm" }, {
      onProgress: ({ progress, total }) => console.log(progress / (total ?? 1)),
      signal: AbortSignal.timeout(30_000),
    });
    const texts = result.content.map(text);
    if (result.isError) texts.push("the tool failed");
    const { contents } = await client.readResource("file:///work/README.md");
    const { messages } = await client.getPrompt("summarize", { topic: "pools" });
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();
    const { prompts } = await client.listPrompts();
    const empty: Mcp.EmptyResult = await client.ping();
    const other = await client.request("tools/list", {});
    // @ts-expect-error: request() resolves to unknown: check it before use
    console.log(other.tools);
    const all = await pool.listAllTools();
    const schema: Tool["inputSchema"] = all.tools[0].tool.inputSchema;
    return [server, ...texts, contents[0].uri, messages[0].role, resources.length, resourceTemplates.length,
      prompts[0]?.name, Object.keys(empty), schema.type].join("\n");
  } catch (e) {
    if (e instanceof McpPoolError) return `${e.code} (${e.server ?? "pool"}, ${e.status ?? "-"}): ${advice(e.code)}`;
    throw e;
  } finally {
    await memoryStore().save("pool", pool.snapshot());
  }
}
