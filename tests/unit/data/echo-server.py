#!/usr/bin/env python3
"""A loopback HTTP server for the agent's client unit tests (a stand-in, not Ironic).

Prints its port on stdout, then answers:
  GET  /                 an Ironic-like root document with default_version.version 1.82
  GET  /status/<code>    that status with an Ironic-style error body
  GET  /big              a body of 5 MiB
  anything else          200 with {"method", "path", "headers", "body"} echoing the request
It exits when its stdin closes.
"""
import http.server
import json
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else None
        if self.path == "/":
            self.send(200, {"name": "OpenStack Ironic API",
                            "default_version": {"id": "v1", "version": "1.82",
                                                "min_version": "1.1", "status": "CURRENT"}})
        elif self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            inner = json.dumps({"faultcode": "Client", "faultstring": "stub says %d" % code,
                                "debuginfo": None})
            self.send(code, {"error_message": inner})
        elif self.path == "/big":
            self.send(200, b"x" * (5 * 1024 * 1024))
        else:
            self.send(200, {"method": self.command, "path": self.path,
                            "headers": dict(self.headers.items()), "body": body})

    do_GET = answer
    do_POST = answer


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that hang up early (the size-limit test) are expected


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("%d\n" % srv.server_address[1])  # one write: the reader may stop at the newline
    sys.stdout.flush()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdin.read()
    srv.shutdown()


if __name__ == "__main__":
    main()
