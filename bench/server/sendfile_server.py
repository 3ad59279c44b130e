"""The transport ceiling: the least work an HTTP server can do to deliver a body.

Serves the files of one directory at `/blob/<name>` with a fixed header and `sendfile(2)`
(the kernel copies from the page cache straight to the socket; no user-space copy at all),
one connection at a time, `Connection: close`. `bench_server.py` times it with the same `curl`
as the real servers, on bodies of the same sizes as their large raw exports: no server can
deliver those bytes to curl on this machine much faster, which bounds the ratio any server can
reach over another that is already close to it.

    python sendfile_server.py PORT DIR
"""
import os
import socket
import sys


def main():
    port, root = int(sys.argv[1]), sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            req = b""
            while b"\r\n\r\n" not in req:
                data = conn.recv(65536)
                if not data:
                    break
                req += data
            parts = req.split(b" ")
            path = parts[1].decode() if len(parts) > 1 else "/"
            name = path.rsplit("/", 1)[-1]
            if path == "/api/v1/":  # the readiness probe of bench_server.Server
                body = b"{}"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\n" + body)
                continue
            full = os.path.join(root, name)
            if not path.startswith("/blob/") or not name or "/" in name or not os.path.isfile(full):
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                continue
            size = os.path.getsize(full)
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode())
            with open(full, "rb") as f:
                conn.sendfile(f)


if __name__ == "__main__":
    main()
