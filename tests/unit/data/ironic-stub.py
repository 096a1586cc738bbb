#!/usr/bin/env python3
"""A stand-in for Ironic's ramdisk endpoints, for tests/unit/test-agent.c only.

This is not Ironic: the end-to-end tests run the real one. It answers as the recorded Ironic
21.4.4 does (shared/docs/ironic-samples): GET / (version 1.82; in mode "old": 1.46, before
agent_verify_ca, so that the agent serves plain HTTP), GET /v1/lookup (first a 409, then a
404, then 200 with a token; in mode "404": always 404), POST /v1/heartbeat/<uuid> (202),
POST /v1/continue (ironic-inspector: 200 {"uuid": ...}). GET /_requests lists what it saw,
with times.
Usage: ironic-stub.py [normal|404|old] [--tls CERT KEY] [--bind ADDRESS]. Prints its port on
stdout; exits when stdin closes. With --tls it serves HTTPS only (TLS 1.2 and 1.3) with that
certificate chain and key (PEM), as an Ironic API behind TLS; GET /_requests too.
"""
import http.server
import json
import ssl
import sys
import threading
import time

ARGS = sys.argv[1:]
TLS = None
BIND = "127.0.0.1"
if "--tls" in ARGS:
    i = ARGS.index("--tls")
    TLS = (ARGS[i + 1], ARGS[i + 2])
    del ARGS[i:i + 3]
if "--bind" in ARGS:
    i = ARGS.index("--bind")
    BIND = ARGS[i + 1]
    del ARGS[i:i + 2]

TOKEN = "rEk9S6g2l4O3uZpXwT1cYvQ8aHn0mJbFdK7sL5eG2iU"
MODE = ARGS[0] if ARGS else "normal"
VERSION = "1.46" if MODE == "old" else "1.82"
seen = []
lookups = [0]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-OpenStack-Ironic-API-Version", VERSION)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, body):
        with lock:
            seen.append({"t": time.time(), "method": self.command, "path": self.path,
                         "version": self.headers.get("X-OpenStack-Ironic-API-Version"),
                         "body": body})

    def fault(self, code, text):
        inner = json.dumps({"faultcode": "Client", "faultstring": text, "debuginfo": None})
        self.send(code, {"error_message": inner})

    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                return self.send(200, seen)
        self.record(None)
        if self.path == "/":
            return self.send(200, {"name": "OpenStack Ironic API",
                                   "default_version": {"id": "v1", "version": VERSION,
                                                       "min_version": "1.1"}})
        if self.path.startswith("/v1/lookup"):
            with lock:
                lookups[0] += 1
                n = lookups[0]
            if MODE == "404" or n == 2:
                return self.fault(404, "Resource could not be found.")
            if n == 1:
                return self.fault(409, "Node is locked by host conductor.")
            return self.send(200, {
                "node": {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc",
                         "properties": {"root_device": {"size": ">= 4"}},
                         "instance_info": {}, "driver_internal_info": {}},
                "config": {"heartbeat_timeout": 300, "agent_token": TOKEN,
                           "agent_token_required": True,
                           "agent_md5_checksum_enable": False}})
        self.fault(404, "Resource could not be found.")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"null")
        self.record(body)
        if self.path.startswith("/v1/heartbeat/"):
            return self.send(202, None)
        if self.path == "/v1/continue":
            return self.send(200, {"uuid": "ef9bfa3d-084b-4ed6-9c94-56d383f704dc"})
        self.fault(404, "Resource could not be found.")


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass


srv = Server((BIND, 0), Handler)
if TLS:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(TLS[0], TLS[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
sys.stdout.write("%d\n" % srv.server_address[1])  # one write: the reader stops at the newline
sys.stdout.flush()
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
srv.shutdown()
