#!/usr/bin/env python3
"""HTTP server for tests/unit/test-download.c: serves files of a directory with failure modes.

Usage: download-server.py DIR PORTFILE. Binds 127.0.0.1 on a free port and writes the port to
PORTFILE once listening. Paths (the first component selects the behaviour, the rest names a
file of DIR):
  /f/NAME          the file
  /drop/NAME       the first request sends half the body and closes; later ones the file
  /flaky/NAME      the first request gets a 500; later ones the file
  /always500/NAME  always 500
  /404/NAME        always 404, body "no such image"
  /redirect/NAME   302 to /f/NAME
  /stall/NAME      headers and 1 KiB of the body, then nothing for 30 s
  /count/PATH      the number of requests seen so far for /PATH, as text
A request in absolute form (through a proxy) is served by its path, with X-Proxied: yes.
"""
import http.server
import os
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
counts = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, headers=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        proxied = self.path.startswith("http://")
        path = urllib.parse.urlsplit(self.path).path if proxied else self.path
        with lock:
            n = counts.get(path, 0) + 1
            counts[path] = n
        parts = path.lstrip("/").split("/", 1)
        mode, name = parts[0], parts[1] if len(parts) > 1 else ""
        if mode == "count":
            self.reply(200, str(counts.get("/" + name, 0)).encode())
            return
        if mode == "404":
            self.reply(404, b"no such image", [("X-Test", "a'b")])
            return
        if mode == "always500" or (mode == "flaky" and n == 1):
            self.reply(500, b"try later")
            return
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/f/" + name)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            with open(os.path.join(ROOT, os.path.basename(name)), "rb") as f:
                data = f.read()
        except OSError:
            self.reply(404, b"missing")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        if proxied:
            self.send_header("X-Proxied", "yes")
        self.end_headers()
        if mode == "drop" and n == 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "stall":
            self.wfile.write(data[:1024])
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
            return
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()


main()
