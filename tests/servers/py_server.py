"""Real MCP server fixture on the official Python SDK (mcp 2.x, MCPServer), served by uvicorn.

Usage: python tests/servers/py_server.py --port 0 [--stateless] [--modern | --modern-only]
Prints exactly one line "LISTENING <port>" on stdout when ready. Binds 127.0.0.1 only. Endpoint /mcp.
--stateless = stateless_http=True, json_response=True (no session, plain JSON).
--modern = also serve the stateless 2026-07-28 era, as mcp 2.x does by default. Without it, a request
that asks for 2026-07-28 (MCP-Protocol-Version header) is answered the way a session-era server
(mcp 1.x) answers one it cannot route: 400 "No valid session ID" when stateful, -32601 when
stateless; so the default fixtures stay session-era servers and the pool's era probe falls back.
--modern-only = serve only the stateless era: a session-era request (no 2026-07-28 header) is
refused with 400 and JSON-RPC -32022 {"supported": ["2026-07-28"]}, as a deployment without the
session era answers (mcp 2.x has no switch for that, so this hook plays it; the SDK serves the rest).
Test hooks (plain HTTP): GET /__stats -> {"initialize": n, "posts": n, "deleted": n, "refused": n,
"toolCalls": {...}} ("initialize": handshakes that reached the SDK; "refused": --modern-only refusals);
POST /__reset zeroes them.
"""

import argparse
import asyncio
import json
import socket
from typing import Annotated

import uvicorn
from mcp.server.mcpserver import Elicit, MCPServer, Resolve
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

STATS = {"initialize": 0, "posts": 0, "deleted": 0, "refused": 0, "toolCalls": {}}

mcp = MCPServer("py-fixture", log_level="WARNING")


def _count(name: str) -> None:
    STATS["toolCalls"][name] = STATS["toolCalls"].get(name, 0) + 1


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@mcp.tool(description="Echo a message", structured_output=False)
def echo(message: str) -> str:
    _count("echo")
    return message


@mcp.tool(description="Add two numbers")
def add(a: float, b: float) -> CallToolResult:
    _count("add")
    s = a + b
    return CallToolResult(content=[TextContent(type="text", text=_num(s))], structured_content={"sum": s})


@mcp.tool(description='Wait ms milliseconds, then answer "done"', structured_output=False)
async def slow(ms: float) -> str:
    _count("slow")
    await asyncio.sleep(ms / 1000)
    return "done"


class Name(BaseModel):
    name: str


def ask_name() -> Elicit[Name]:
    return Elicit("Your name?", Name)


@mcp.tool(description="Asks the user's name (elicitation; an InputRequiredResult in 2026-07-28)", structured_output=False)
def ask(who: Annotated[Name, Resolve(ask_name)]) -> str:
    _count("ask")
    return f"hello {who.name}"


class Hooks:
    """Counts initialize/POST/DELETE on /mcp (re-injecting the body it read) and serves GET /__stats, POST /__reset."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        if (method, path) in (("GET", "/__stats"), ("POST", "/__reset")):
            if path == "/__reset":
                STATS.update(initialize=0, posts=0, deleted=0, refused=0, toolCalls={})
            body = json.dumps(STATS if path == "/__stats" else {"ok": True}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")]})
            return await send({"type": "http.response.body", "body": body})
        if method == "DELETE":
            STATS["deleted"] += 1
        if method != "POST":
            return await self.app(scope, receive, send)

        STATS["posts"] += 1
        headers = dict(scope.get("headers") or [])
        if not MODERN and headers.get(b"mcp-protocol-version") == b"2026-07-28":
            return await self.session_era_refusal(receive, send)
        chunks, more = [], True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        if MODERN_ONLY and headers.get(b"mcp-protocol-version") != b"2026-07-28":
            return await self.modern_only_refusal(body, send)
        try:
            parsed = json.loads(body)
            msgs = parsed if isinstance(parsed, list) else [parsed]
            STATS["initialize"] += sum(1 for m in msgs if isinstance(m, dict) and m.get("method") == "initialize")
        except ValueError:
            pass

        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls: wait for the disconnect, as the real receive would

        return await self.app(scope, replay, send)


    async def modern_only_refusal(self, body, send):
        STATS["refused"] += 1
        try:
            request_id = json.loads(body).get("id")
        except (ValueError, AttributeError):
            request_id = None
        error = {"code": -32022, "message": "Unsupported protocol version",
                 "data": {"supported": ["2026-07-28"]}}
        payload = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")]})
        await send({"type": "http.response.body", "body": payload})

    async def session_era_refusal(self, receive, send):
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            more = msg.get("more_body", False)
        if STATELESS:
            status, body = 200, {"jsonrpc": "2.0", "id": None,
                                 "error": {"code": -32601, "message": "Method not found"}}
        else:
            status, body = 400, {"jsonrpc": "2.0", "id": "server-error",
                                 "error": {"code": -32000, "message": "Bad Request: No valid session ID provided"}}
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"access-control-allow-origin", b"*")]})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})


MODERN = False
MODERN_ONLY = False
STATELESS = False


def build_app(stateless: bool):
    # Keep DNS-rebinding protection on, but allow any loopback host/origin (browser tests use random ports).
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    app = mcp.streamable_http_app(
        stateless_http=stateless, json_response=stateless, transport_security=security, host="127.0.0.1"
    )
    app = CORSMiddleware(
        app,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["content-type", "mcp-session-id", "mcp-protocol-version", "authorization",
                       "last-event-id", "mcp-method", "mcp-name"],
        expose_headers=["mcp-session-id"],
    )
    return Hooks(app)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--stateless", action="store_true")
    ap.add_argument("--modern", action="store_true")
    ap.add_argument("--modern-only", action="store_true")
    a = ap.parse_args()
    global MODERN, MODERN_ONLY, STATELESS
    MODERN, MODERN_ONLY, STATELESS = a.modern or a.modern_only, a.modern_only, a.stateless

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    port = sock.getsockname()[1]

    config = uvicorn.Config(build_app(a.stateless), backlog=512, log_level="warning", timeout_graceful_shutdown=1,
                            lifespan="on")
    server = uvicorn.Server(config)

    async def serve():
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            print(f"LISTENING {port}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
