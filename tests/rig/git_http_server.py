"""Smart HTTP git server for tests: `git http-backend` behind HTTP basic auth.

Run as a separate process (never a thread in the test process: pygit2 slows down badly next
to a busy Python thread, and a server stopped by pid cannot leak):

    GIT_HTTP_USER=u GIT_HTTP_PASSWORD=p [GIT_HTTP_TOKEN=t] \
        python tests/rig/git_http_server.py ROOT PORT [CERT KEY]

Every request must carry `Authorization: Basic base64(u:p)` (or `Bearer t` when a token is
set); anything else gets 401. With CERT and KEY the server speaks HTTPS only. The
request body (plain or chunked) is handed to `git http-backend` as CGI input, and its CGI
output (`Status:` header, headers, body) becomes the response. Pushes are allowed because
`REMOTE_USER` is set and the repositories have `http.receivepack true`.
"""

from __future__ import annotations

import base64
import hmac
import os
import ssl
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class GitHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = ""
    expected_auth = b""
    expected_token = b""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"{self.command} {self.path}\n")

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if self.expected_token and header.startswith("Bearer "):
            return hmac.compare_digest(header[7:].strip().encode(), self.expected_token)
        if not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:].strip())
        except ValueError:
            return False
        return hmac.compare_digest(given, self.expected_auth)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        self.close_connection = True
        if not self._authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")  # libgit2 would reuse the socket
            self.end_headers()
            return
        body = self._read_body()
        parts = urlsplit(self.path)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "tester",
            "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        self._relay(done.stdout)

    def _relay(self, output: bytes) -> None:
        head, sep, payload = output.partition(b"\r\n\r\n")
        if not sep:
            head, _, payload = output.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    root, port = sys.argv[1], int(sys.argv[2])
    user = os.environ["GIT_HTTP_USER"]
    password = os.environ["GIT_HTTP_PASSWORD"]
    GitHandler.root = root
    GitHandler.expected_auth = f"{user}:{password}".encode()
    GitHandler.expected_token = os.environ.get("GIT_HTTP_TOKEN", "").encode()
    server = ThreadingHTTPServer(("127.0.0.1", port), GitHandler)
    server.daemon_threads = True
    if len(sys.argv) == 5:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
