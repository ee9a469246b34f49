//! TypeScript types of the options and statistics objects, shipped in the package's `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
import type {
  CallToolResult, ListToolsResult, ListResourcesResult, ListResourceTemplatesResult, ReadResourceResult,
  ListPromptsResult, GetPromptResult, EmptyResult, InitializeResult, DiscoverResult, Tool, ContentBlock,
  ElicitRequestParams, ElicitResult, CreateMessageRequestParams, CreateMessageResult, ListRootsRequestParams,
  ListRootsResult, ProgressNotificationParams,
} from "./mcp_types.js";
import type * as Mcp from "./mcp_types.js";
/** The MCP results, generated from the official MCP schema of every version the pool speaks (`mcp_types.d.ts`). */
export type {
  CallToolResult, ListToolsResult, ListResourcesResult, ListResourceTemplatesResult, ReadResourceResult,
  ListPromptsResult, GetPromptResult, EmptyResult, InitializeResult, DiscoverResult, Tool, ContentBlock,
  ElicitRequestParams, ElicitResult, CreateMessageRequestParams, CreateMessageResult, ListRootsRequestParams,
  ListRootsResult, ProgressNotificationParams, Mcp,
};

/** `client.serverInfo`: the `initialize` result, or in the stateless era (2026-07-28) the `server/discover` result. */
export type ServerDescription = InitializeResult | DiscoverResult;

declare global {
  // `using` and `await using` (the package's classes have both; runtimes without the symbols get
  // `Symbol.for("Symbol.dispose")`), declared as @types/node and lib esnext.disposable declare them, so
  // that the declarations compile under lib es2022 alone.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}

/** Options of `new McpPool(options)`; every field is optional. */
export interface McpPoolOptions {
  /** Most sessions per server, opening ones included. Default 5. */
  maxConnectionsPerServer?: number;
  /** Most leases sharing one session; undefined = unlimited (default). */
  maxLeasesPerConnection?: number;
  /** Health loop interval in ms; 0 disables it. Default 30000. */
  healthCheckIntervalMs?: number;
  /** Idle sessions older than this are closed, in ms; 0 disables. Default 300000. */
  idleTimeoutMs?: number;
  /**
   * The longest a session lives, in ms from its open: past it, it takes no new lease and is closed
   * (DELETE) when its last lease returns, so long-lived processes pick up server-side changes.
   * 0 = no limit (default); else at least 1000. A session restored from a snapshot counts from the restore.
   */
  maxSessionLifetimeMs?: number;
  /**
   * An idle session with no successful exchange for this long, in ms, is probed (ping, or server/discover
   * in the stateless era) before get() hands it out; a failed probe evicts it and get() takes another.
   * 0 disables. Default: healthCheckIntervalMs (so off when the health loop is off).
   */
  probeIdleAfterMs?: number;
  /** How long get() may wait, in ms. Default 10000. */
  acquireTimeoutMs?: number;
  /** Default timeout of one request, in ms. Default 60000. */
  requestTimeoutMs?: number;
  /** Largest response body or SSE event, in bytes. Default 16 MiB. */
  maxResponseBytes?: number;
  /** How long a server's tools/list stays cached (also dropped on tools/list_changed), in ms; 0 disables. Default 300000. */
  toolsCacheTtlMs?: number;
  /** Most HTTP requests in flight at once, all servers; the rest queue FIFO. Default 64 through the Node
   *  client (Node, Deno: no per-origin connection limit), 6 through fetch (Workers allow 6 outbound
   *  connections per request, browsers 6 per origin on HTTP/1.1; also Bun and httpClient "fetch"). */
  maxConcurrentRequests?: number;
  /** Most HTTP requests in flight to one server. Default: no per-server cap. */
  maxConcurrentRequestsPerServer?: number;
  /** Consecutive failures to reach a server before its circuit opens; 0 disables. Default 3. */
  circuitBreakerThreshold?: number;
  /** How long an open circuit fails fast before one probe, in ms. Default 5000. */
  circuitBreakerCooldownMs?: number;
  /** Sent as clientInfo in initialize. */
  clientInfo?: { name: string; version: string };
  /**
   * How requests are sent. "auto" (default): in Node and Deno, the package's Node client (undici's
   * dispatch API on a keep-alive dispatcher, through the package's Node entry; it honours HTTP_PROXY,
   * HTTPS_PROXY and NO_PROXY), the global fetch elsewhere (Bun included). "fetch": always the global
   * fetch (e.g. to go through your own undici dispatcher or a fetch mock). "node": the Node client,
   * or an INVALID_CONFIG error where it is not available.
   */
  httpClient?: "auto" | "fetch" | "node";
}

/** Options of `registerHttp(name, url, options)`. */
export interface ServerOptions {
  /** Headers sent with every request to this server only (e.g. Authorization). */
  headers?: Record<string, string>;
  maxConnections?: number;
  maxLeasesPerConnection?: number;
  /** Most sessions (open or opening) of one identity (see GetOptions.identity); maxConnections stays the total. Default: no cap beyond the total. */
  maxConnectionsPerIdentity?: number;
  /** `(identity) => headers`: headers added to the requests of one identity's sessions (after the server's headers). */
  identityHeaders?: (identity: string) => Record<string, string>;
  requestTimeoutMs?: number;
  acquireTimeoutMs?: number;
  /** Overrides the pool's maxSessionLifetimeMs for this server (0: no limit). */
  maxSessionLifetimeMs?: number;
  /** Overrides the pool's probeIdleAfterMs for this server (0: no probe on acquire). */
  probeIdleAfterMs?: number;
  /** Follow 307/308 redirects to another origin (sending it these headers). Default false: same origin only. */
  allowCrossOriginRedirects?: boolean;
  /**
   * Gives the bearer token: called first with no argument, then with the 401's (or 403 insufficient_scope's)
   * challenge; concurrent challenges share one call. `null` (or undefined): no token yet, allowed before the
   * first challenge only (after one it is AUTH_FAILED). For an identity's sessions (GetOptions.identity) it gets
   * `{ identity }` as a second argument, and its tokens are that identity's alone.
   */
  tokenProvider?: (challenge?: { error?: string; scope?: string; resourceMetadata?: string }, context?: { identity: string }) => string | null | undefined | Promise<string | null | undefined>;
  /**
   * DPoP (RFC 9449): `proof` makes a fresh proof JWT (new jti) for each HTTP request to this server, sent in the
   * DPoP header; the token then goes out as `Authorization: DPoP <token>`. `nonce` is the server's last DPoP-Nonce;
   * a 401 use_dpop_nonce is retried once with a new proof carrying it. The app holds the key.
   */
  dpop?: { proof: (request: { method: "POST" | "GET" | "DELETE"; url: string; accessToken?: string; nonce?: string }) => string | Promise<string> };
  /**
   * Protocol era. "auto" (default): the initialize handshake first (2025-11-25 and older: what servers
   * speak today, servers of both eras included, at no extra cost); only when it is refused,
   * server/discover for the stateless 2026-07-28 era; the verdict is remembered per server.
   * "legacy" never asks server/discover; "modern" (or "2026-07-28") requires the stateless era.
   */
  era?: "auto" | "legacy" | "modern" | "2026-07-28";
  /**
   * Open the optional standalone GET stream of each session, on which the server sends requests
   * and notifications that belong to no request (an elicitation it starts itself, list_changed).
   * Default: open when something would hear it (this server has handlers, or the pool has a
   * notification handler), as the official client does; false refuses it. It is one long-lived
   * connection per session: it keeps Node alive until close(), takes one of a browser's six
   * HTTP/1.1 connections per origin, and on Workers lives only as long as the request that opened it.
   */
  serverStream?: boolean;
  /** "auto" (default): Streamable HTTP, falling back to the older HTTP+SSE transport (2024-11-05) when the first
   *  initialize POST gets 400/404/405. "streamable-http": no fallback. "sse": HTTP+SSE only. */
  transport?: 'auto' | 'streamable-http' | 'sse';
  /** Answers to this server's own requests; only these capabilities are declared. Others get -32601. */
  handlers?: {
    /** `elicitation/create` (also an input request of the stateless era). A throw answers a JSON-RPC error. */
    elicitation?: (params: ElicitRequestParams, context?: { identity: string }) => ElicitResult | Promise<ElicitResult>;
    /** `sampling/createMessage`. */
    sampling?: (params: CreateMessageRequestParams, context?: { identity: string }) => CreateMessageResult | Promise<CreateMessageResult>;
    /** `roots/list` (its params, if the server sent any). */
    roots?: (params: ListRootsRequestParams | undefined, context?: { identity: string }) => ListRootsResult | Promise<ListRootsResult>;
  };
}

/** Options of `pool.get(name, options)`. */
export interface GetOptions {
  /** Aborts the wait (rejects with code "ABORTED"). */
  signal?: AbortSignal;
  /** Overrides the acquire timeout (acquireTimeoutMs), in ms. */
  timeoutMs?: number;
  /**
   * Who the session is for (a user, a tenant; 1 to 1024 bytes): sessions opened for one identity never
   * serve another, and are opened with its credentials (tokenProvider and handlers get `{ identity }`,
   * identityHeaders(identity) adds headers). Default: the server's shared sessions.
   */
  identity?: string;
}

/** Options of every request of a client (and of `pool.callTool`). */
export interface CallOptions {
  /** Aborts the wait or the request (rejects with code "ABORTED"; a request also sends notifications/cancelled). */
  signal?: AbortSignal;
  /** Overrides the acquire or request timeout, in ms. */
  timeoutMs?: number;
  /** listTools only: skip the pool's tool catalog and ask the server. */
  fresh?: boolean;
  /** Requests: asks the server for progress (_meta.progressToken) and receives each notification's params. */
  onProgress?: (progress: ProgressNotificationParams) => void;
  /** Requests: each progress notification restarts timeoutMs. */
  resetTimeoutOnProgress?: boolean;
  /** Requests: the hard cap on the total time when the timeout resets, in ms. */
  maxTotalTimeoutMs?: number;
}

/** Counters of one server. */
export interface ServerStats {
  activeConnections: number;
  idleConnections: number;
  openingConnections: number;
  leases: number;
  waiting: number;
  /** Identities with a session of this server (open, opening or waited for); never the identities. */
  partitions: number;
  totalConnections: number;
  connectionErrors: number;
  healthChecksPassed: number;
  healthChecksFailed: number;
  maxConnections: number;
  inFlightRequests: number;
  queuedRequests: number;
  /** Sessions resumed from a snapshot, without a handshake. */
  restoredConnections: number;
  /** The circuit breaker: "open" means the server failed repeatedly and getters fail fast. */
  circuit: "closed" | "open" | "half-open";
  circuitOpens: number;
  /** Sessions closed because they outlived maxSessionLifetimeMs. */
  retiredConnections: number;
  /** get() served at once by an existing session (idle, or shared under maxLeasesPerConnection). */
  hits: number;
  /** get() served by a session opened for it (it waited for the handshake). */
  misses: number;
  /** get() that queued for a session another lease gave back. */
  waits: number;
  /** The time those waits spent in get(), in ms, summed (waitTimeMs / waits is the mean). */
  waitTimeMs: number;
}

/** `pool.stats()`: totals and per server. */
export interface PoolStats {
  registeredServers: number;
  /** Sessions with at least one lease, open sessions with none, sessions being opened: current counts. */
  activeConnections: number;
  idleConnections: number;
  openingConnections: number;
  leases: number;
  waiting: number;
  /** Lifetime counters: they include servers since unregistered and survive close(). */
  totalConnections: number;
  connectionErrors: number;
  healthChecksPassed: number;
  healthChecksFailed: number;
  /** HTTP requests in flight and waiting for a permit (maxConcurrentRequests), all servers. */
  inFlightRequests: number;
  queuedRequests: number;
  /** Acquisitions, lifetime counters as above: served at once (hits), by a new session (misses), after
   *  queueing for a released one (waits, and their summed waitTimeMs); sessions retired for their age. */
  retiredConnections: number;
  hits: number;
  misses: number;
  waits: number;
  waitTimeMs: number;
  servers: Record<string, ServerStats>;
}

/** `pool.snapshot()`: resumable sessions per server; no headers or tokens. Store it as JSON. */
export interface PoolSnapshot {
  version: 1;
  takenAtMs: number;
  servers: Record<string, {
    url: string;
    sessions: { sessionId?: string; protocolVersion: string; initializeResult?: unknown; identity?: string }[];
    tools?: { result: unknown; ageMs: number };
  }>;
}

/** `pool.listAllTools()`: every server's tools under provider-safe qualified names. */
export interface AllTools {
  /** Sorted by name; `tool` is the tool as its server listed it. */
  tools: { name: string; server: string; tool: Tool }[];
  /** Plain names that collided: each colliding tool got a stable hashed name instead. */
  collisions: { name: string; tools: { server: string; tool: string }[] }[];
  /** Servers that could not be listed. */
  errors: Record<string, { code: string; message: string }>;
}

/** The stable code of an {@link McpPoolError}: switch on it. */
export type McpPoolErrorCode =
  | "STDIO_UNSUPPORTED" | "INVALID_CONFIG" | "INVALID_ARGUMENT" | "INVALID_URL" | "INVALID_SERVER_NAME"
  | "DUPLICATE_SERVER" | "UNKNOWN_SERVER" | "UNKNOWN_TOOL" | "POOL_CLOSED" | "CIRCUIT_OPEN" | "ACQUIRE_TIMEOUT" | "REQUEST_TIMEOUT"
  | "CONNECT_FAILED" | "NETWORK_ERROR" | "HTTP_ERROR" | "PROTOCOL_ERROR" | "RPC_ERROR"
  | "UNSUPPORTED_PROTOCOL_VERSION" | "RESPONSE_TOO_LARGE" | "LEASE_RELEASED" | "FOREIGN_LEASE"
  | "ABORTED" | "SESSION_CLOSED" | "CROSS_ORIGIN_ENDPOINT" | "AUTH_FAILED";

/** Every error the pool throws or rejects with: `e instanceof McpPoolError`, and of `Error`. */
export declare class McpPoolError extends Error {
  private constructor();
  name: "McpPoolError";
  code: McpPoolErrorCode;
  server?: string;
  status?: number;
  rpcCode?: number;
  data?: unknown;
}

export interface McpPool {
  /** `await using pool = new McpPool()`: closes it (as `close()`). */
  [Symbol.asyncDispose](): Promise<void>;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `McpPoolOptions` (optional argument).
    #[wasm_bindgen(typescript_type = "McpPoolOptions")]
    pub type PoolOptionsArg;
    /// `ServerOptions` (optional argument).
    #[wasm_bindgen(typescript_type = "ServerOptions")]
    pub type ServerOptionsArg;
    /// `CallOptions` (optional argument).
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptionsArg;
    /// `GetOptions` (optional argument of `get`).
    #[wasm_bindgen(typescript_type = "GetOptions")]
    pub type GetOptionsArg;
    /// Tool arguments or request params (optional argument).
    #[wasm_bindgen(typescript_type = "Record<string, unknown>")]
    pub type ObjectArg;
    /// Prompt arguments (optional argument).
    #[wasm_bindgen(typescript_type = "Record<string, string>")]
    pub type PromptArgsArg;
}
