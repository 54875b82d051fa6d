#!/usr/bin/env python3
"""A small HTTP server for the sync tests: serves a folder on 127.0.0.1, and
misbehaves on the paths a rules file names.

usage: http_server.py ROOT RULES.json LOG
Prints the port on stdout once listening. RULES (re-read on every request)
maps a URL path to one behaviour:
  {"mode": "truncate"}           half the file, no Content-Length, then close
  {"mode": "die"}                full Content-Length, half the body, then this
                                 whole server process exits
  {"mode": "stall"}              full Content-Length, half the body, then silence
  {"mode": "drip", "every": S}   full Content-Length, then one byte every S seconds
                                 (never silent long enough to look stalled)
  {"mode": "huge", "bytes": N}   N bytes of filler, no Content-Length
  {"mode": "announce", "length": N}  claims Content-Length N, sends nothing
  {"mode": "pad", "bytes": N}    the file followed by N spaces
  {"status": CODE}               that HTTP status and a short body
  {"redirect": URL}              302 to URL
  {"mode": "norange"}            ignores a Range header: 200 and the whole file
A request with "Range: bytes=N-" gets 206 and the file from byte N (416
past the end) unless a rule says otherwise. Every request is appended to
LOG as "GET /path", followed by " Range: bytes=N-" when it had one.
"""
import http.server
import json
import os
import sys
import time

ROOT, RULES, LOG = sys.argv[1:4]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        range_header = self.headers.get("Range")
        with open(LOG, "a") as f:
            f.write(f"GET {self.path}" + (f" Range: {range_header}" if range_header else "") + "\n")
        try:
            with open(RULES) as f:
                rule = json.load(f).get(self.path, {})
        except FileNotFoundError:
            rule = {}
        if "status" in rule:
            self.send_response(rule["status"])
            self.end_headers()
            self.wfile.write(b"no\n")
            return
        if "redirect" in rule:
            self.send_response(302)
            self.send_header("Location", rule["redirect"])
            self.end_headers()
            return
        mode = rule.get("mode")
        if mode == "huge":
            self.send_response(200)
            self.end_headers()
            chunk = b"[" * 65536
            for _ in range(rule["bytes"] // len(chunk)):
                self.wfile.write(chunk)
            return
        if mode == "announce":
            self.send_response(200)
            self.send_header("Content-Length", str(rule["length"]))
            self.end_headers()
            return
        path = os.path.join(ROOT, self.path.lstrip("/"))
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            self.send_response(404)
            self.end_headers()
            return
        start = 0
        if range_header and mode != "norange":
            start = int(range_header.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
        whole = len(body)
        body = body[start:]
        half = body[: len(body) // 2]
        if start > 0:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{whole - 1}/{whole}")
        else:
            self.send_response(200)
        if mode == "truncate":
            self.end_headers()
            self.wfile.write(half)
            return
        if mode == "pad":
            body += b" " * rule["bytes"]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "die":
            self.wfile.write(half)
            self.wfile.flush()
            os._exit(3)
        if mode == "drip":
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(rule["every"])
            return
        if mode == "stall":
            self.wfile.write(half)
            self.wfile.flush()
            time.sleep(3600)
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients hanging up early is what several tests are about


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
