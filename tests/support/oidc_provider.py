"""The test OpenID provider (tests/people/oidc/provider.mjs, the `oidc-provider` npm package) run as a real
server on 127.0.0.1, and a person's way through its sign-in pages without a browser.

Its discovery documents, keys, authorization and token endpoints and token signatures are the package's
own; the tests reach it over HTTP, as the app does.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = ROOT / "tests" / "people" / "oidc" / "provider.mjs"
DEMO_CONFIG = ROOT / "tests" / "people" / "oidc" / "demo.json"
START_TIMEOUT = 30  # seconds

CLIENT_ID = "send-ready"
CLIENT_SECRET = "send-ready-test-secret-0123456789"
# A second client of the same provider: another app, whose codes and tokens are not SEND Ready's.
OTHER_CLIENT_ID = "another-app"
OTHER_CLIENT_SECRET = "another-app-test-secret-0123456789"


def clients(redirect_uris: list[str]) -> list[dict]:
    return [
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
        {"client_id": OTHER_CLIENT_ID, "client_secret": OTHER_CLIENT_SECRET, "redirect_uris": redirect_uris},
    ]


def redirect_uris(base_url: str) -> list[str]:
    return [f"{base_url}/sign-in/{provider}/callback" for provider in ("microsoft", "google")]


@dataclass
class RunningProvider:
    base_url: str
    process: subprocess.Popen

    @property
    def microsoft_metadata_url(self) -> str:
        return f"{self.base_url}/organizations/v2.0/.well-known/openid-configuration"

    @property
    def google_metadata_url(self) -> str:
        return f"{self.base_url}/google/.well-known/openid-configuration"

    def app_settings(self) -> dict[str, str]:
        """The settings that point SEND Ready at this provider, both as Microsoft and as Google."""
        return {
            "MICROSOFT_CLIENT_ID": CLIENT_ID,
            "MICROSOFT_CLIENT_SECRET": CLIENT_SECRET,
            "MICROSOFT_METADATA_URL": self.microsoft_metadata_url,
            "GOOGLE_CLIENT_ID": CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "GOOGLE_METADATA_URL": self.google_metadata_url,
        }

    def _control(self, path: str, payload: dict | None = None) -> None:
        request = urllib.request.Request(  # noqa: S310 (our own provider on 127.0.0.1)
            f"{self.base_url}/_control/{path}",
            data=json.dumps(payload or {}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 204, response.status

    def reset(self) -> None:
        """The accounts as configured, and no fault."""
        self._control("reset")

    def change_account(self, realm: str, account_id: str, *, amr: list[str] | None = None, **claims) -> None:
        """Change a test account's claims (its email, say) as its organisation's administrator would."""
        self._control("account", {"realm": realm, "id": account_id, "claims": claims, "amr": amr})

    def next_token_fault(self, fault: str) -> None:
        """The next token response's ID token has one thing wrong: "audience", "issuer", "expired" or "key"."""
        self._control("token-fault", {"fault": fault})


@contextmanager
def run_provider(config: dict, folder: Path) -> Iterator[RunningProvider]:
    """Start the provider with this configuration (port, clients, accounts) until the block ends."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the test OpenID provider (and `npm ci` for oidc-provider)"
    assert (ROOT / "node_modules" / "oidc-provider").exists(), "oidc-provider is missing: run `make setup`"
    path = folder / "oidc-provider.json"
    path.write_text(json.dumps(config))
    process = subprocess.Popen(  # noqa: S603 (node and our own script)
        [node, str(PROVIDER_SCRIPT), str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                raise AssertionError("the test OpenID provider did not start:\n" + "".join(output)) from None
            if line.startswith("ready "):
                break
        yield RunningProvider(line.split()[1], process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.method = "get"
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
            self.method = (attributes.get("method") or "get").lower()
        elif tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")


def sign_in_at_provider(authorize_url: str, account_id: str, *, returns_to: str) -> str:
    """Go through the provider's pages as a person would: follow its redirects and choose the account on
    each form, until it sends the browser back to `returns_to`. The URL it sends the browser to."""
    browser = requests.Session()
    url, method, fields = authorize_url, "get", None
    for _ in range(20):
        if method == "post":
            response = browser.post(url, data=fields, allow_redirects=False, timeout=10)
        else:
            response = browser.get(url, params=fields, allow_redirects=False, timeout=10)
        if response.is_redirect:
            location = urljoin(url, response.headers["Location"])
            if location.startswith(returns_to):
                return location
            url, method, fields = location, "get", None
            continue
        assert response.status_code == 200, f"{url} answered {response.status_code}: {response.text[:500]}"
        form = _Form()
        form.feed(response.text)
        assert form.action is not None, f"no form on {url}: {response.text[:500]}"
        url, method, fields = urljoin(url, form.action), form.method, {**form.fields, "account": account_id}
    raise AssertionError(f"the provider never sent the browser back to {returns_to}")
