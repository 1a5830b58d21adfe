"""A learning record store on 127.0.0.1 for the tests: a real HTTP server that keeps statements the
way stores do, and answers 409 the way they do.

- POST /statements takes a batch whole or not at all. An id it holds already with other content is a
  409 for the whole batch and nothing is stored. With `conflict_on_any_held_id` it answers 409 for any
  id it holds, even with the same content (some stores do; xAPI says they SHOULD NOT, but they do).
- What it keeps is what a store keeps: it adds `stored`, `authority` and `version`, and writes the
  timestamp with `+00:00` rather than `Z`, so a statement read back is not byte for byte the one sent.
- A voiding statement voids its target: GET ?statementId= then answers 404 for it and
  GET ?voidedStatementId= gives it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class LrsStandIn:
    def __init__(self, *, conflict_on_any_held_id: bool = False):
        self.conflict_on_any_held_id = conflict_on_any_held_id
        self.sent: dict[str, dict] = {}  # id -> the statement exactly as first sent
        self.kept: dict[str, dict] = {}  # id -> the statement as the store keeps it
        self.voided: set[str] = set()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        store = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("X-Experience-API-Version", "1.0.3")
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                batch = body if isinstance(body, list) else [body]
                with store.lock:
                    store.requests.append({"method": "POST", "path": self.path, "body": batch})
                    status, answer = store.take(batch)
                self._answer(status, answer)

            def do_GET(self):
                query = {name: values[0] for name, values in parse_qs(urlsplit(self.path).query).items()}
                with store.lock:
                    store.requests.append({"method": "GET", "path": self.path, "body": None})
                    found = store.find(query)
                self._answer(200, found) if found is not None else self._answer(404, {"error": "not found"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/xapi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, batch: list[dict]) -> tuple[int, object]:
        ids = [statement["id"].lower() for statement in batch]
        if len(set(ids)) != len(ids):
            return 400, {"error": "the same id twice in one batch"}
        for key, statement in zip(ids, batch, strict=True):
            if key in self.sent and (self.conflict_on_any_held_id or self.sent[key] != statement):
                return 409, {"error": f"Conflict: statement {statement['id']} already exists"}
        for key, statement in zip(ids, batch, strict=True):
            if key in self.sent:
                continue  # the same statement again: kept once
            self.sent[key] = json.loads(json.dumps(statement))
            kept = json.loads(json.dumps(statement))
            moment = datetime.fromisoformat(kept["timestamp"].replace("Z", "+00:00")).astimezone(UTC)
            kept["timestamp"] = moment.isoformat()
            kept["stored"] = datetime.now(UTC).isoformat()
            kept["authority"] = {"objectType": "Agent", "account": {"homePage": "http://lrs", "name": "send-ready"}}
            kept["version"] = "1.0.0"
            self.kept[key] = kept
            if statement["verb"]["id"] == VOIDED:
                self.voided.add(statement["object"]["id"].lower())
        return 200, [statement["id"] for statement in batch]

    def find(self, query: dict[str, str]) -> dict | None:
        if "statementId" in query:
            key = query["statementId"].lower()
            return self.kept.get(key) if key not in self.voided else None
        if "voidedStatementId" in query:
            key = query["voidedStatementId"].lower()
            return self.kept.get(key) if key in self.voided else None
        return None

    def hold(self, statement: dict) -> None:
        """Put a statement in the store as if someone else had sent it."""
        assert self.take([statement])[0] == 200

    def posted(self) -> list[dict]:
        return [statement for request in self.requests if request["method"] == "POST" for statement in request["body"]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
