#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

The bodies are shaped like what the official MCP servers send: the TypeScript SDK
(`event: message` + `data:` + LF, ids from an event store, priming events) and the Python SDK
(sse-starlette: CRLF line ends, `: ping` comments), JSON-RPC results of initialize, paged
tools/list, tools/call, errors with data, server requests, notifications and batches.

Run from anywhere: python3 fuzz/make_seeds.py (rewrites the seed files, keeps others).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def j(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


INIT = {
    "result": {
        "protocolVersion": "2025-06-18",
        "capabilities": {"tools": {"listChanged": True}, "logging": {}, "resources": {"subscribe": True}},
        "serverInfo": {"name": "example-server", "title": "Example", "version": "1.0.0"},
        "instructions": "Use the echo tool.",
    },
    "jsonrpc": "2.0",
    "id": 1,
}
INIT_PY = {
    "jsonrpc": "2.0",
    "id": 1,
    "result": {
        "protocolVersion": "2025-03-26",
        "capabilities": {"experimental": {}, "prompts": {"listChanged": False}, "tools": {"listChanged": False}},
        "serverInfo": {"name": "mcp", "version": "1.9.4"},
    },
}
TOOL = {
    "name": "echo",
    "title": "Echo",
    "description": "Echoes text",
    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
                    "additionalProperties": False, "$schema": "http://json-schema.org/draft-07/schema#"},
    "outputSchema": {"type": "object", "properties": {"echo": {"type": "string"}}},
    "annotations": {"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False},
    "_meta": {"x": 1},
}
TOOLS_PAGE1 = {"jsonrpc": "2.0", "id": 2, "result": {"tools": [TOOL], "nextCursor": "eyJwYWdlIjoxfQ=="}}
TOOLS_PAGE2 = {"jsonrpc": "2.0", "id": 3, "result": {"tools": [dict(TOOL, name="add")], "_meta": {}}}
CALL = {
    "jsonrpc": "2.0",
    "id": 2,
    "result": {
        "content": [
            {"type": "text", "text": "hi \u00e9\u6f22\U0001f600"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "resource_link", "uri": "file:///a.txt", "name": "a.txt"},
        ],
        "structuredContent": {"echo": "hi"},
        "isError": False,
    },
}
CALL_ERR = {"jsonrpc": "2.0", "id": 2, "result": {"content": [{"type": "text", "text": "boom"}], "isError": True}}
RPC_ERR = {"jsonrpc": "2.0", "id": 2, "error": {"code": -32602, "message": "Invalid params",
                                                "data": {"errors": [{"path": ["text"], "msg": "required"}], "n": 1.5e3}}}
GONE = {"jsonrpc": "2.0", "error": {"code": -32000, "message": "Bad Request: No valid session ID provided"}, "id": None}
READ = {"jsonrpc": "2.0", "id": 4, "result": {"contents": [{"uri": "file:///a.txt", "mimeType": "text/plain", "text": "A"},
                                                       {"uri": "file:///b", "blob": "AAEC"}]}}
PROMPT = {"jsonrpc": "2.0", "id": 5, "result": {"description": "greet", "messages": [
    {"role": "user", "content": {"type": "text", "text": "Hello"}}]}}
COMPLETE = {"jsonrpc": "2.0", "id": 6, "result": {"completion": {"values": ["py", "pyth"], "total": 2, "hasMore": False}}}
PING_REQ = {"jsonrpc": "2.0", "id": "srv-1", "method": "ping"}
SAMPLING_REQ = {"jsonrpc": "2.0", "id": 0, "method": "sampling/createMessage",
                "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "?"}}], "maxTokens": 10}}
PROGRESS = {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 2, "progress": 1, "total": 3}}
LOG = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "logger": "x", "data": "working"}}
BATCH = [PROGRESS, {"jsonrpc": "2.0", "id": 2, "result": {}}]


def sse(*msgs, crlf=False, ids=False, event=True):
    eol = "\r\n" if crlf else "\n"
    out = ""
    for i, m in enumerate(msgs):
        if event:
            out += "event: message" + eol
        if ids:
            out += "id: %d_%d" % (1700000000 + i, i) + eol
        out += "data: " + (m if isinstance(m, str) else j(m)) + eol + eol
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def with_id(obj, placeholder="$ID"):
    """JSON text with the top-level id replaced by the placeholder session_exchange substitutes."""
    o = dict(obj)
    o["id"] = "__ID__"
    return j(o).replace('"__ID__"', placeholder)


# ---------------------------------------------------------------- sse_parser
SSE_BODIES = {
    "ts_message": sse(CALL),
    "ts_ids": sse(PROGRESS, CALL, ids=True),
    "py_crlf_ping": ": ping - 2025-06-18 10:00:00.000000+00:00\r\n\r\n" + sse(LOG, CALL, crlf=True),
    "priming_retry": "id: 0\nretry: 3000\ndata:\n\n" + sse(CALL, ids=True),
    "cr_only": "data: a\rdata: b\r\revent: x\rdata: c\r\r",
    "bom_multiline": "\ufeffevent: message\ndata: {\"a\":\ndata: 1}\nid: 7\n\n",
    "fields_edge": "data\ndata:\ndata:  two spaces\nid\nid: a\x00b\nretry: 12a\nretry: 99999999999999999999999\nfoo: bar\n:comment\nevent\n\n",
    "no_final_blank": "event: message\ndata: {\"jsonrpc\":\"2.0\"}\n",
    "id_reset": "id: 5\ndata: x\n\nid\ndata: y\n\nid:\n\n",
    "utf8_split": "data: \u00e9\u6f22\U0001f600 \u00ff\n\n",
}
LAYOUTS = [
    # (name suffix, limit byte, chunk lengths)
    ("whole", 0x80, []),
    ("bytewise", 0x80, [1]),
    ("mixed", 0x80, [7, 0, 13, 2]),
    ("small_limit", 0x08, [5, 3]),
]
count = 0
for bname, body in SSE_BODIES.items():
    layouts = LAYOUTS if bname in ("ts_message", "py_crlf_ping", "cr_only") else LAYOUTS[:2]
    for lname, limit, lens in layouts:
        raw = body.encode("utf-8")
        if bname == "utf8_split":
            raw += b"data: \xc3\n\xe6\xbc\n\n"  # invalid UTF-8 around line ends
        write("sse_parser", "%s_%s" % (bname, lname), bytes([limit, len(lens)] + lens) + raw)
        count += 1
# CRLF split exactly between CR and LF, and a BOM split over chunks.
write("sse_parser", "crlf_split", bytes([0x80, 1, 8]) + b"data: a\r\n\r\ndata: b\r\n\r\n")
write("sse_parser", "bom_split", bytes([0x80, 2, 1, 2]) + b"\xef\xbb\xbfdata: x\n\n\xef\xbb\xbfdata: y\n\n")
write("sse_parser", "too_large", bytes([0x01, 1, 3]) + b"data: 0123456789\n\ndata: x\n\n")

# ---------------------------------------------------------------- decode_response
DECODE = {
    "initialize": j(INIT),
    "initialize_py": json.dumps(INIT_PY, indent=2),
    "tools_page1": j(TOOLS_PAGE1),
    "tools_page2": j(TOOLS_PAGE2),
    "call": j(CALL),
    "call_error_result": j(CALL_ERR),
    "rpc_error_data": j(RPC_ERR),
    "session_gone": j(GONE),
    "read_resource": j(READ),
    "get_prompt": j(PROMPT),
    "complete": j(COMPLETE),
    "server_ping": j(PING_REQ),
    "server_sampling": j(SAMPLING_REQ),
    "notification_log": j(LOG),
    "batch": j(BATCH),
    "batch_pretty_crlf": json.dumps([LOG, CALL], indent=1).replace("\n", "\r\n"),
    "numbers_escapes": '{"jsonrpc":"2.0","id":-9223372036854775808,"result":{"content":[],"x":[1e308,-0.0,1E-7,12345678901234567890],"s":"\\ud83d\\ude00\\u0000\\n"}}',
    "string_id": '{"jsonrpc":"2.0","id":"abc","result":{"tools":[],"nextCursor":null}}',
}
for name, text in DECODE.items():
    write("decode_response", name, text)

# ---------------------------------------------------------------- session_exchange
SEP = b"\xff\xff"


def sx(name, scenario, chunk, limit, *bodies):
    data = bytes([scenario, chunk, limit]) + SEP.join(b.encode("utf-8") if isinstance(b, str) else b for b in bodies)
    write("session_exchange", name, data)


CALL_T, LIST_T, INIT_T, PING_T = 0, 1, 2, 3
SSE_BIT = 4
CT_UPPER = 1 << 3
ST_202, ST_404, ST_500, ST_307 = 4 << 5, 5 << 5, 6 << 5, 7 << 5
BIG = 0x80

sx("call_json", CALL_T, 0, BIG, with_id(CALL))
sx("call_sse_ts", CALL_T | SSE_BIT, 0, BIG, sse(PROGRESS, with_id(CALL), ids=True))
sx("call_sse_py_chunked", CALL_T | SSE_BIT | CT_UPPER, 7, BIG,
   ": ping - 2025-06-18\r\n\r\n" + sse(LOG, PING_REQ, SAMPLING_REQ, with_id(CALL), crlf=True))
sx("call_rpc_error", CALL_T, 3, BIG, with_id(RPC_ERR))
sx("call_sse_null_error", CALL_T | SSE_BIT, 0, BIG, sse(GONE))
sx("call_batch", CALL_T, 0, BIG, "[" + j(PROGRESS) + "," + j(PING_REQ) + "," + with_id(CALL_ERR) + "]")
sx("call_small_limit", CALL_T | SSE_BIT, 1, 0x06, sse(with_id(CALL)))
sx("call_404_then_ok", CALL_T | ST_404, 0, BIG, j(GONE), with_id(CALL))
sx("call_307_then_ok", CALL_T | ST_307, 0, BIG, "", with_id(CALL))
sx("call_500", CALL_T | ST_500, 0, BIG, j(GONE))
sx("call_202", CALL_T | ST_202, 0, BIG, "")
sx("call_sse_truncated", CALL_T | SSE_BIT, 5, BIG, "event: message\ndata: " + with_id(CALL)[:40])
sx("list_pages_json", LIST_T, 0, BIG, with_id(TOOLS_PAGE1), with_id(TOOLS_PAGE2))
sx("list_pages_sse", LIST_T | SSE_BIT, 11, BIG, sse(with_id(TOOLS_PAGE1), ids=True), sse(with_id(TOOLS_PAGE2)))
sx("list_repeat_cursor", LIST_T, 0, BIG, with_id(TOOLS_PAGE1), with_id(TOOLS_PAGE1))
sx("init_json", INIT_T, 0, BIG, with_id(INIT))
sx("init_sse_py", INIT_T | SSE_BIT, 0, BIG, sse(with_id(INIT_PY), crlf=True))
sx("init_bad_version", INIT_T, 0, BIG, with_id(dict(INIT, result=dict(INIT["result"], protocolVersion="2024-11-05"))))
sx("init_404", INIT_T | ST_404, 0, BIG, j(GONE))
sx("ping_sse_priming", PING_T | SSE_BIT, 2, BIG, "id: 0\nretry: 1000\ndata:\n\n" + sse('{"jsonrpc":"2.0","id":$ID,"result":{}}', ids=True))
sx("ping_wrong_id", PING_T, 0, BIG, '{"jsonrpc":"2.0","id":999,"result":{}}')
sx("ping_text_plain", PING_T | (2 << 3), 0, BIG, '{"jsonrpc":"2.0","id":$ID,"result":{}}')

for t in ("sse_parser", "decode_response", "session_exchange"):
    print(t, len(os.listdir(os.path.join(HERE, "corpus", t))))
