"""A loopback HTTP server that either redirects every request or records its credentials.

Run as a separate process (see git_http_server.py for why):

    python tests/rig/redirect_server.py redirect PORT TARGET_BASE LOG
    python tests/rig/redirect_server.py collect PORT LOG

``redirect`` answers every request with ``302 Found`` and ``Location: TARGET_BASE<path>``
(another port is another origin, RFC 6454 section 4). ``collect`` appends one line per
request to LOG (``<method> <path> <Authorization header or ->``). It answers a ref
advertisement (``GET .../info/refs``, one branch, smart HTTP protocol v0 as in git's
Documentation/gitprotocol-http.txt) to anyone, so a client goes on to ask for objects; that
request gets 401 with ``WWW-Authenticate: Basic`` until it carries credentials, then 403.
A client that hands credentials to this origin is caught in LOG.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = ""
    target = ""
    log_file = ""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer()

    def _answer(self) -> None:
        auth = self.headers.get("Authorization") or "-"
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write(f"{self.command} {self.path} {auth}\n")
        if self.mode == "redirect":
            self.send_response(302)
            self.send_header("Location", self.target + self.path)
        elif self.command == "GET" and "/info/refs" in self.path:
            self._advertise()
            return
        elif auth == "-":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="elsewhere"')
        else:
            self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _advertise(self) -> None:
        service = "git-upload-pack" if "upload-pack" in self.path else "git-receive-pack"
        sha = "1" * 40
        caps = "multi_ack_detailed side-band-64k ofs-delta shallow report-status"
        body = _pkt(f"# service={service}\n") + b"0000"
        body += _pkt(f"{sha} refs/heads/main\0{caps}\n") + b"0000"
        self.send_response(200)
        self.send_header("Content-Type", f"application/x-{service}-advertisement")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _pkt(text: str) -> bytes:
    data = text.encode()
    return f"{len(data) + 4:04x}".encode() + data


def main(argv: list[str]) -> None:
    mode, port = argv[1], int(argv[2])
    Handler.mode = mode
    if mode == "redirect":
        Handler.target, Handler.log_file = argv[3].rstrip("/"), argv[4]
    else:
        Handler.log_file = argv[3]
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv)
