// mcp-edge-pool/durable-object: one pool for every isolate of a Worker (Cloudflare Workers only).
//
// A Durable Object is one instance per name, reached from every isolate and every location, that
// runs one request handler at a time between awaits. `McpPoolObject` keeps ONE McpPool in such an
// object: restored from its snapshot in Durable Object storage when the object starts, maintained
// and persisted again from `alarm()`. `mcpPoolClient(env.NS)` is what a Worker calls instead of a
// module-scope pool: the same method names, each call one Workers RPC to the object, which runs
// `get` -> call -> `release` inside it.
//
// Secrets never leave the object's memory: servers are registered from the object's own env
// bindings (the `register(pool, env)` function given to `mcpPoolObject`) or by the `register` RPC
// (kept in memory only); the snapshot written to storage is `pool.snapshot()`, which holds session
// ids, versions, server info and tool catalogs, never headers or tokens.
//
// Errors: Workers RPC keeps only an error's message and class name, not its own properties (the
// pool's `code`, `server`, `status`, `rpcCode`, `data`). The object therefore answers every RPC
// with an envelope, `{ value }` or `{ error: { message, code, ... } }`, and the client throws an
// McpPoolError rebuilt from it: `e instanceof McpPoolError` and `e.code` work across the hop.
import { DurableObject } from "cloudflare:workers";
import { McpPoolError } from "__HOST_JS__";

/** Where the object keeps its pool's snapshot, in its own storage. */
export const SNAPSHOT_KEY = "mcp-edge-pool/snapshot";
const PERSIST_EVERY_MS = 30_000;
// The lease methods a client call may name (each runs as get -> method -> release in the object).
const LEASE_METHODS = new Set([
  "callTool", "listTools", "listResources", "readResource", "listResourceTemplates", "listPrompts", "getPrompt", "ping", "request",
]);

/** An McpPoolError as plain data (what crosses RPC), or null for any other error. */
function errorData(e) {
  if (!(e instanceof McpPoolError) && e?.name !== "McpPoolError") return null;
  const out = { message: String(e.message), code: e.code };
  for (const k of ["server", "status", "rpcCode", "data"]) if (e[k] !== undefined) out[k] = e[k];
  return out;
}

/** The McpPoolError an envelope's `error` describes. */
function rebuild(data) {
  const e = new McpPoolError(data.message, data.code);
  for (const k of ["server", "status", "rpcCode", "data"]) if (data[k] !== undefined) e[k] = data[k];
  return e;
}

/** Runs `fn`; an McpPoolError becomes `{ error }`, a value `{ value }`; anything else is thrown (a bug). */
async function envelope(fn) {
  try {
    return { value: await fn() };
  } catch (e) {
    const error = errorData(e);
    if (error) return { error };
    throw e;
  }
}

/** Call options as they may cross RPC: `signal` stays with the caller (see the client). */
function remoteOptions(options) {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") return options; // the pool answers INVALID_ARGUMENT
  const { signal: _signal, ...rest } = options;
  return rest;
}

/** Call options for the lease's method: `identity` was the `get`'s. */
function withoutIdentity(options) {
  if (options === undefined || options === null || typeof options !== "object") return options;
  const { identity: _identity, ...rest } = options;
  return rest;
}

/** The part of call options `pool.get` takes across the hop: its wait's timeout, and whose session. */
const getOptions = (options) => {
  const out = {};
  if (options?.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options?.identity !== undefined) out.identity = options.identity;
  return out;
};

/**
 * The Durable Object class that owns one pool. Use it through {@link mcpPoolObject} (which gives
 * the pool options and the registration function), or subclass it and override `poolOptions(env)`
 * and `registerServers(pool, env)`.
 */
export class McpPoolObject extends DurableObject {
  /** Pool options for this object (`new McpPool(options)`); from the env bindings if need be. */
  poolOptions(_env) {
    return undefined;
  }

  /** Registers the servers (`pool.registerHttp(...)`), headers and tokens from `env`. No I/O. */
  registerServers(_pool, _env) {}

  /** How often `alarm()` runs a maintenance pass and writes the snapshot, in ms. */
  get persistEveryMs() {
    return PERSIST_EVERY_MS;
  }

  constructor(ctx, env) {
    super(ctx, env);
    /** name -> the JSON of the registration the `register` RPC made (memory only). */
    this.registered = new Map();
    this.restoredSessions = 0;
    // Nothing else runs in the object until the pool is restored and its servers registered.
    this.ready = ctx.blockConcurrencyWhile(async () => {
      // Imported here, not at the top: a Worker that only calls the object (mcpPoolClient) never
      // instantiates the wasm.
      const { McpPool } = await import("./workerd.mjs");
      const snapshot = (await ctx.storage.get(SNAPSHOT_KEY)) ?? null;
      const options = this.poolOptions(env);
      try {
        this.pool = McpPool.restore(snapshot, options);
      } catch (e) {
        // A snapshot of another format version (an upgrade): start cold rather than never.
        if (snapshot === null || e?.code !== "INVALID_ARGUMENT") throw e;
        this.pool = new McpPool(options);
      }
      this.restoredSessions = Object.values(snapshot?.servers ?? {}).reduce((n, s) => n + (s.sessions?.length ?? 0), 0);
      this.registerServers(this.pool, env);
      if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now() + this.persistEveryMs);
    });
  }

  /** One health and idle pass, then the snapshot written to storage; the next alarm is set. */
  async alarm() {
    await this.ready;
    try {
      await this.pool.maintain();
      await this.ctx.storage.put(SNAPSHOT_KEY, this.pool.snapshot());
    } finally {
      await this.ctx.storage.setAlarm(Date.now() + this.persistEveryMs);
    }
  }

  // ---- RPC methods (what mcpPoolClient calls). Each answers an envelope: { value } or { error }.

  /** `get(server)` -> `client[method](...args)` -> `release()`, in the object. */
  async call(server, method, args = [], options) {
    await this.ready;
    return envelope(async () => {
      if (!LEASE_METHODS.has(method)) {
        throw rebuild({ message: `no lease method ${JSON.stringify(method)}`, code: "INVALID_ARGUMENT" });
      }
      const opts = withoutIdentity(remoteOptions(options));
      const client = await this.pool.get(server, getOptions(options));
      try {
        return await client[method](...args, opts);
      } finally {
        client.release();
      }
    });
  }

  /** `callTool(tool, args)` on a lease of `server`: the hot path, one RPC. */
  async callTool(server, tool, args, options) {
    return this.call(server, "callTool", [tool, args ?? null], options);
  }

  /** The protocol version and the server's `initialize` (or `server/discover`) result. */
  async describe(server, options) {
    await this.ready;
    return envelope(async () => {
      const client = await this.pool.get(server, getOptions(options));
      try {
        return { protocolVersion: client.protocolVersion, serverInfo: client.serverInfo };
      } finally {
        client.release();
      }
    });
  }

  /** The pool's `listAllTools()` over every server registered here. */
  async listAllTools() {
    await this.ready;
    return envelope(() => this.pool.listAllTools());
  }

  async stats() {
    await this.ready;
    return envelope(() => this.pool.stats());
  }

  async servers() {
    await this.ready;
    return envelope(() => this.pool.servers());
  }

  /**
   * Registers a server at runtime; `options` must be plain data (headers, caps, timeouts: no
   * functions) and is kept in memory only. The same registration again is a no-op; a different
   * one for the same name replaces the server (its sessions end).
   */
  async register(name, url, options) {
    await this.ready;
    return envelope(async () => {
      const key = JSON.stringify([url, options ?? null]);
      if (this.registered.get(name) === key) return { registered: false };
      if (this.registered.has(name)) await this.pool.unregister(name);
      this.pool.registerHttp(name, url, options ?? undefined);
      this.registered.set(name, key);
      return { registered: true };
    });
  }

  async unregister(name) {
    await this.ready;
    return envelope(async () => {
      await this.pool.unregister(name);
      this.registered.delete(name);
    });
  }

  /** `alarm()`'s work now (maintain, then write the snapshot): how many sessions were written. */
  async persist() {
    await this.ready;
    return envelope(async () => {
      await this.pool.maintain();
      const snapshot = this.pool.snapshot();
      await this.ctx.storage.put(SNAPSHOT_KEY, snapshot);
      return { sessions: Object.values(snapshot.servers).reduce((n, s) => n + s.sessions.length, 0) };
    });
  }

  /** How many sessions the object found in storage when it started. */
  async restored() {
    await this.ready;
    return { value: this.restoredSessions };
  }
}

/**
 * The Durable Object class, configured: `export const McpPools = mcpPoolObject({ options, register })`
 * (the export's name is the class name in wrangler.toml).
 * - `options`: pool options, or `(env) => options`.
 * - `register(pool, env)`: registers the servers, their headers and tokens from the object's env.
 * - `persistEveryMs`: how often alarm() maintains the pool and writes its snapshot (default 30 000).
 */
export function mcpPoolObject({ options, register, persistEveryMs } = {}) {
  return class extends McpPoolObject {
    poolOptions(env) {
      return typeof options === "function" ? options(env) : options;
    }
    registerServers(pool, env) {
      if (register) register(pool, env);
    }
    get persistEveryMs() {
      return persistEveryMs ?? PERSIST_EVERY_MS;
    }
  };
}

/** FNV-1a, 32 bits, over UTF-8 (as the pool's own naming). */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * A shard function for {@link mcpPoolClient}: one object per server (no `n`), or the servers spread
 * over `n` objects by a stable hash of their names.
 */
export function shardByServer(n) {
  if (n === undefined) return (server) => `server:${server}`;
  if (!Number.isInteger(n) || n < 1) throw new RangeError("shardByServer(n): n must be a positive integer");
  return (server) => `shard:${fnv1a(server) % n}`;
}

// The pool's provider-safe qualified names (src/pool/naming.rs), for a catalog merged from shards.
const MAX_NAME = 64;
function plainName(server, tool) {
  let exact = true;
  let out = `${server}__`;
  for (const c of tool) {
    if (/^[A-Za-z0-9_-]$/.test(c)) out += c;
    else {
      exact = false;
      out += "_";
    }
  }
  return [out, exact];
}
function hashedName(server, tool) {
  const [name] = plainName(server, tool);
  const suffix = `_${fnv1a(`${server}\0${tool}`).toString(16).padStart(8, "0")}`;
  return `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
}
function qualify(server, tool) {
  const [name, exact] = plainName(server, tool);
  return exact && tool.length > 0 && name.length <= MAX_NAME ? name : hashedName(server, tool);
}

/** Merges per-server tool listings as the pool's listAllTools does (same names, order, collisions). */
function mergeCatalog(listings, errors) {
  const entries = [];
  for (const [server, tools] of listings) for (const tool of tools) entries.push({ server, tool, plain: qualify(server, String(tool?.name ?? "")) });
  const groups = new Map();
  for (const e of [...entries].sort((a, b) => (a.plain < b.plain ? -1 : a.plain > b.plain ? 1 : 0))) {
    if (!groups.has(e.plain)) groups.set(e.plain, []);
    groups.get(e.plain).push(e);
  }
  const tools = [];
  const collisions = [];
  for (const [name, members] of groups) {
    const collided = members.length > 1;
    if (collided) collisions.push({ name, tools: members.map((m) => ({ server: m.server, tool: String(m.tool?.name ?? "") })) });
    for (const m of members) tools.push({ name: collided ? hashedName(m.server, String(m.tool?.name ?? "")) : name, server: m.server, tool: m.tool });
  }
  tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tools, collisions, errors };
}

/** A promise that rejects with ABORTED when `signal` aborts. */
function abortable(promise, signal) {
  if (!signal) return promise;
  const aborted = () => rebuild({ message: "the operation was aborted (the object's call runs on to its own timeout)", code: "ABORTED" });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** What `client.get(server)` gives: the methods of a lease, each one RPC to the object. */
class RemoteServerClient {
  #pool;
  #server;
  #identity;
  constructor(pool, server, identity) {
    this.#pool = pool;
    this.#server = server;
    this.#identity = identity;
  }
  get server() {
    return this.#server;
  }
  #call(method, args, options) {
    return this.#pool._call(this.#server, method, args, this.#identity !== undefined ? { ...options, identity: this.#identity } : options);
  }
  callTool(name, args, options) {
    return this.#call("callTool", [name, args ?? null], options);
  }
  listTools(options) {
    return this.#call("listTools", [], options);
  }
  listResources(options) {
    return this.#call("listResources", [], options);
  }
  readResource(uri, options) {
    return this.#call("readResource", [uri], options);
  }
  listResourceTemplates(options) {
    return this.#call("listResourceTemplates", [], options);
  }
  listPrompts(options) {
    return this.#call("listPrompts", [], options);
  }
  getPrompt(name, args, options) {
    return this.#call("getPrompt", [name, args ?? null], options);
  }
  ping(options) {
    return this.#call("ping", [], options);
  }
  request(method, params, options) {
    return this.#call("request", [method, params ?? null], options);
  }
  /** `{ protocolVersion, serverInfo }` of a session of this server (one RPC). */
  describe(options) {
    const opts = { ...remoteOptions(options), ...(this.#identity !== undefined ? { identity: this.#identity } : {}) };
    return this.#pool._unwrap(this.#pool._stub(this.#server, this.#identity).describe(this.#server, opts), options?.signal);
  }
  /** Nothing to release: no lease crosses the hop (each call took and released its own). */
  release() {}
  [Symbol.dispose ?? Symbol.for("Symbol.dispose")]() {}
}

/**
 * The pool of a Durable Object namespace, for the calling Worker: the local pool's methods, each
 * one RPC. `namespace` is the binding (`env.MCP_POOL`). Options:
 * - `name`: the object's name (default "mcp-edge-pool"); shards are named `${name}/${shard}`.
 * - `shard(server, identity)`: which object serves `server` for `identity` (the `identity` call
 *   option, or undefined; e.g. `shardByServer()`); without it, one object serves every server.
 *   The object keys its sessions by identity too (the pool's identity partitions).
 * - `servers`: the server names, for the pool-wide calls of a sharded client (it cannot list objects).
 * - `registrations`: `{ name: { url, options } }` registered through the `register` RPC on first
 *   use and again whenever an object answers UNKNOWN_SERVER (it restarted: memory only).
 */
export function mcpPoolClient(namespace, options = {}) {
  return new McpPoolClient(namespace, options);
}

export class McpPoolClient {
  #ns;
  #name;
  #shard;
  #servers;
  #registrations;
  #ids = new Map(); // object name -> its id
  #routes = new Map(); // qualified tool name -> [server, tool], from the last listAllTools()

  constructor(namespace, { name = "mcp-edge-pool", shard, servers, registrations } = {}) {
    if (!namespace || typeof namespace.idFromName !== "function" || typeof namespace.get !== "function") {
      throw new TypeError("mcpPoolClient(namespace): a Durable Object namespace binding (env.MCP_POOL) is required");
    }
    this.#ns = namespace;
    this.#name = name;
    this.#shard = shard ?? null;
    this.#registrations = new Map(Object.entries(registrations ?? {}));
    this.#servers = servers ? [...servers] : null;
  }

  /** The object name that serves `server` for `identity`. */
  objectName(server, identity) {
    return this.#shard ? `${this.#name}/${this.#shard(server, identity)}` : this.#name;
  }

  // A stub belongs to the Worker request that made it (workerd refuses its use from another request:
  // "Cannot perform I/O on behalf of a different request"), so one is made per call; ids are plain
  // values and are kept.
  _stub(server, identity) {
    const objectName = this.objectName(server, identity);
    let id = this.#ids.get(objectName);
    if (!id) {
      id = this.#ns.idFromName(objectName);
      this.#ids.set(objectName, id);
    }
    return this.#ns.get(id);
  }

  async _unwrap(answer, signal) {
    const got = await abortable(Promise.resolve(answer), signal);
    if (got && typeof got === "object" && "error" in got && got.error) throw rebuild(got.error);
    return got?.value;
  }

  /** One lease call in the object; registers (again) a server the client holds a registration of. */
  async _call(server, method, args, options) {
    const signal = options?.signal;
    const send = () => this._unwrap(this._stub(server, options?.identity).call(server, method, args, remoteOptions(options)), signal);
    const reg = this.#registrations.get(server);
    if (!reg) return send();
    if (!reg.done) await this.register(server, reg.url, reg.options);
    try {
      return await send();
    } catch (e) {
      if (e?.code !== "UNKNOWN_SERVER") throw e;
      reg.done = false; // the object restarted and forgot it (memory only)
      await this.register(server, reg.url, reg.options);
      return send();
    }
  }

  /**
   * `callTool(server, tool, args, options)`: one RPC, the object leases a session of `server`.
   * `callTool(qualifiedName, args, options)`: a name from `listAllTools()`, routed to its server.
   */
  async callTool(a, b, c, d) {
    if (typeof b === "string") return this._call(a, "callTool", [b, c ?? null], d);
    let route = this.#routes.get(a);
    if (!route) {
      await this.listAllTools();
      route = this.#routes.get(a);
    }
    if (!route) throw rebuild({ message: `no tool named ${JSON.stringify(a)} in listAllTools()`, code: "UNKNOWN_TOOL" });
    return this._call(route[0], "callTool", [route[1], b ?? null], c);
  }

  /** A client for `server` with a lease's methods; each call is one RPC (see RemoteServerClient). */
  async get(server, options) {
    return new RemoteServerClient(this, server, options?.identity);
  }

  /** The server names: the `servers` option, or those the (one) object registered, plus ours. */
  async servers() {
    const names = new Set(this.#servers ?? []);
    if (!this.#servers && !this.#shard) for (const s of await this._unwrap(this._stub("").servers())) names.add(s);
    for (const s of this.#registrations.keys()) names.add(s);
    return [...names].sort();
  }

  /** Every server's tools under the pool's qualified names; sharded: merged from each server's listing. */
  async listAllTools() {
    let all;
    if (!this.#shard) {
      for (const [name, reg] of this.#registrations) if (!reg.done) await this.register(name, reg.url, reg.options);
      all = await this._unwrap(this._stub("").listAllTools());
    } else {
      const servers = await this.servers();
      const errors = {};
      const listings = [];
      await Promise.all(
        servers.map(async (server) => {
          try {
            listings.push([server, (await this._call(server, "listTools", [], undefined)).tools ?? []]);
          } catch (e) {
            if (!errorData(e)) throw e;
            errors[server] = { code: e.code, message: e.message };
          }
        }),
      );
      listings.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      all = mergeCatalog(listings, errors);
    }
    this.#routes = new Map(all.tools.map((t) => [t.name, [t.server, String(t.tool?.name ?? "")]]));
    return all;
  }

  /** The object's pool stats; sharded: summed over the objects of the known servers, each server's entry from its own object. */
  async stats() {
    if (!this.#shard) return this._unwrap(this._stub("").stats());
    const servers = await this.servers();
    const byObject = new Map();
    for (const s of servers) {
      const n = this.objectName(s, undefined);
      if (!byObject.has(n)) byObject.set(n, []);
      byObject.get(n).push(s);
    }
    const total = { registeredServers: 0, servers: {} };
    for (const [, owned] of byObject) {
      const st = await this._unwrap(this._stub(owned[0]).stats());
      for (const [k, v] of Object.entries(st)) if (typeof v === "number" && k !== "registeredServers") total[k] = (total[k] ?? 0) + v;
      for (const s of owned) if (st.servers[s]) total.servers[s] = st.servers[s];
    }
    total.registeredServers = Object.keys(total.servers).length;
    return total;
  }

  /**
   * Registers `name` in its object through RPC: plain-data options only (headers, caps, timeouts),
   * kept in the object's memory, never in its storage. The client remembers it, and registers again
   * when the object answers UNKNOWN_SERVER (it restarted).
   */
  async register(name, url, options) {
    const reg = this.#registrations.get(name) ?? { url, options };
    reg.url = url;
    reg.options = options;
    this.#registrations.set(name, reg);
    const out = await this._unwrap(this._stub(name).register(name, url, options ?? null));
    reg.done = true;
    return out;
  }

  async unregister(name) {
    this.#registrations.delete(name);
    return this._unwrap(this._stub(name).unregister(name));
  }

  /** Runs the object's maintenance pass and writes its snapshot now (for `server`'s object). */
  async persist(server = "") {
    return this._unwrap(this._stub(server).persist());
  }

  /** How many sessions `server`'s object restored from storage when it started. */
  async restored(server = "") {
    return this._unwrap(this._stub(server).restored());
  }
}
