"""A local HTTP server that answers rerank requests in the Jina, Cohere and Voyage wire formats.

Scores are word overlap between query and document, so rankings are predictable. Every request is
recorded for the tests to inspect headers and bodies.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VALID_KEY = "test-key-123"


def overlap(query: str, doc: str) -> float:
    q = set(query.lower().split())
    d = set(doc.lower().split())
    return len(q & d) / (len(q) or 1)


class RerankServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.headers.get("Authorization") != f"Bearer {VALID_KEY}":
                    return self._send(401, {"detail": "Invalid API key"})
                if body.get("model") == "broken":
                    return self._send(200, {"unexpected": True})
                docs = body["documents"]
                scored = sorted(
                    ((i, overlap(body["query"], d)) for i, d in enumerate(docs)), key=lambda x: (-x[1], x[0])
                )
                if self.path == "/v1/rerank" and "top_k" in body:  # Voyage
                    top = scored[: body["top_k"]]
                    return self._send(
                        200,
                        {
                            "object": "list",
                            "data": [{"relevance_score": s, "index": i} for i, s in top],
                            "model": body["model"],
                            "usage": {"total_tokens": 10},
                        },
                    )
                top = scored[: body.get("top_n") or len(docs)]
                if self.path == "/v2/rerank":  # Cohere
                    return self._send(
                        200,
                        {
                            "id": "abc",
                            "results": [{"index": i, "relevance_score": s} for i, s in top],
                            "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
                        },
                    )
                return self._send(
                    200,
                    {  # Jina
                        "model": body["model"],
                        "usage": {"total_tokens": 10},
                        "results": [{"index": i, "document": {"text": docs[i]}, "relevance_score": s} for i, s in top],
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RerankServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
