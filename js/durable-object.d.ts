// mcp-edge-pool/durable-object: one pool for every isolate, in a Cloudflare Durable Object.
// Self-contained (no import of "cloudflare:workers" types), so that it compiles with or without
// @cloudflare/workers-types.
import type {
  McpPool, McpPoolOptions, ServerOptions, CallOptions, GetOptions, PoolStats, AllTools, ServerDescription,
  CallToolResult, ListToolsResult, ListResourcesResult, ListResourceTemplatesResult, ReadResourceResult,
  ListPromptsResult, GetPromptResult, EmptyResult, McpPoolErrorCode,
} from "./mcp_edge_pool.js";

/** The key of the pool's snapshot in the object's storage. */
export declare const SNAPSHOT_KEY: "mcp-edge-pool/snapshot";

/** The parts of `DurableObjectState` the object uses. */
export interface DurableObjectStateLike {
  storage: {
    get(key: string): Promise<unknown>;
    put(key: string, value: unknown): Promise<void>;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number | Date): Promise<void>;
  };
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** What every RPC method of the object answers: a value, or an McpPoolError as plain data. */
export type Envelope<T> =
  | { value: T; error?: undefined }
  | { error: { message: string; code: McpPoolErrorCode; server?: string; status?: number; rpcCode?: number; data?: unknown } };

/** Call options that cross the hop: `signal` stays with the caller; `onProgress` is called back over RPC. */
export type RemoteCallOptions = Omit<CallOptions, "signal"> & { identity?: string };

/** Server options the `register` RPC takes: plain data only (functions cannot be kept across calls). */
export type RemoteServerOptions = Omit<ServerOptions, "tokenProvider" | "dpop" | "handlers" | "identityHeaders">;
/** Call options of the client's direct calls: a request's, and whose session (`GetOptions.identity`). */
export type ClientCallOptions = CallOptions & { identity?: string };

/**
 * The Durable Object class that owns one pool: restored from its snapshot when it starts, maintained and
 * persisted from `alarm()`. Configure it with {@link mcpPoolObject}, or subclass it. Its RPC methods answer
 * {@link Envelope}s; call them through {@link mcpPoolClient}.
 */
export declare class McpPoolObject<Env = unknown> {
  constructor(ctx: DurableObjectStateLike, env: Env);
  /** The object's pool (set once `ready` has resolved). */
  readonly pool: McpPool;
  /** Resolves once the pool is restored and its servers registered. */
  readonly ready: Promise<void>;
  /** Override: the pool options. */
  poolOptions(env: Env): McpPoolOptions | undefined;
  /** Override: registers the servers (headers and tokens from `env`). No I/O. */
  registerServers(pool: McpPool, env: Env): void;
  /** Override: how often `alarm()` runs, in ms (default 30 000). */
  readonly persistEveryMs: number;
  alarm(): Promise<void>;
  call(server: string, method: string, args?: unknown[], options?: RemoteCallOptions): Promise<Envelope<unknown>>;
  callTool(server: string, tool: string, args?: Record<string, unknown> | null, options?: RemoteCallOptions): Promise<Envelope<CallToolResult>>;
  describe(server: string, options?: { timeoutMs?: number }): Promise<Envelope<{ protocolVersion: string | undefined; serverInfo: ServerDescription | undefined }>>;
  listAllTools(): Promise<Envelope<AllTools>>;
  stats(): Promise<Envelope<PoolStats>>;
  servers(): Promise<Envelope<string[]>>;
  register(name: string, url: string, options?: RemoteServerOptions | null): Promise<Envelope<{ registered: boolean }>>;
  unregister(name: string): Promise<Envelope<void>>;
  persist(): Promise<Envelope<{ sessions: number }>>;
  restored(): Promise<Envelope<number>>;
}

/** {@link mcpPoolObject}'s configuration. */
export interface McpPoolObjectConfig<Env = unknown> {
  /** Pool options, or a function of the object's env. */
  options?: McpPoolOptions | ((env: Env) => McpPoolOptions | undefined);
  /** Registers the servers, with headers and tokens from the object's env bindings (never stored). */
  register?: (pool: McpPool, env: Env) => void;
  /** How often `alarm()` maintains the pool and writes its snapshot, in ms. Default 30 000. */
  persistEveryMs?: number;
}

/** The Durable Object class, configured: `export const McpPools = mcpPoolObject({ options, register })`. */
export declare function mcpPoolObject<Env = unknown>(config?: McpPoolObjectConfig<Env>): typeof McpPoolObject<Env>;

/** A shard function: one object per server (no `n`), or servers spread over `n` objects by a stable hash. */
export declare function shardByServer(n?: number): (server: string, identity?: string) => string;

/** The parts of a Durable Object namespace binding the client uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): unknown;
}

export interface McpPoolClientOptions {
  /** The object's name; shards are named `${name}/${shard(...)}`. Default "mcp-edge-pool". */
  name?: string;
  /**
   * Which object serves `server` for `identity` (the `identity` call option, or undefined). Without it
   * one object serves every server. The object keys its sessions by identity too.
   */
  shard?: (server: string, identity?: string) => string;
  /** The server names, for `servers()`, `listAllTools()` and `stats()` of a sharded client. */
  servers?: string[];
  /** Servers registered through the `register` RPC on first use, and again after an object restarted. */
  registrations?: Record<string, { url: string; options?: RemoteServerOptions }>;
}

/** `client.get(server)`: a lease's methods, each one RPC (the object takes and releases a lease per call). */
export interface RemoteServerClient {
  readonly server: string;
  callTool(name: string, args?: Record<string, unknown> | null, options?: CallOptions | null): Promise<CallToolResult>;
  listTools(options?: CallOptions | null): Promise<ListToolsResult>;
  listResources(options?: CallOptions | null): Promise<ListResourcesResult>;
  readResource(uri: string, options?: CallOptions | null): Promise<ReadResourceResult>;
  listResourceTemplates(options?: CallOptions | null): Promise<ListResourceTemplatesResult>;
  listPrompts(options?: CallOptions | null): Promise<ListPromptsResult>;
  getPrompt(name: string, args?: Record<string, string> | null, options?: CallOptions | null): Promise<GetPromptResult>;
  ping(options?: CallOptions | null): Promise<EmptyResult>;
  request(method: string, params?: Record<string, unknown> | null, options?: CallOptions | null): Promise<unknown>;
  describe(options?: CallOptions | null): Promise<{ protocolVersion: string | undefined; serverInfo: ServerDescription | undefined }>;
  /** A no-op: no lease crosses the hop. */
  release(): void;
}

/** The pool of a Durable Object namespace, for the calling Worker. Errors are `McpPoolError`s, `code` included. */
export declare class McpPoolClient {
  constructor(namespace: DurableObjectNamespaceLike, options?: McpPoolClientOptions);
  /** The object name that serves `server`. */
  objectName(server: string, identity?: string): string;
  /** Direct: one RPC, the object leases a session of `server`. */
  callTool(server: string, tool: string, args?: Record<string, unknown> | null, options?: ClientCallOptions | null): Promise<CallToolResult>;
  /** A name from `listAllTools()`, routed to its server. */
  callTool(qualifiedName: string, args?: Record<string, unknown> | null, options?: ClientCallOptions | null): Promise<CallToolResult>;
  get(server: string, options?: GetOptions | null): Promise<RemoteServerClient>;
  servers(): Promise<string[]>;
  listAllTools(): Promise<AllTools>;
  stats(): Promise<PoolStats>;
  register(name: string, url: string, options?: RemoteServerOptions): Promise<{ registered: boolean }>;
  unregister(name: string): Promise<void>;
  /** The object's maintenance pass and snapshot write, now (`server` picks the shard). */
  persist(server?: string): Promise<{ sessions: number }>;
  /** How many sessions `server`'s object restored from storage when it started. */
  restored(server?: string): Promise<number>;
}

export declare function mcpPoolClient(namespace: DurableObjectNamespaceLike, options?: McpPoolClientOptions): McpPoolClient;
