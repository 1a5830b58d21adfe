"""Two app nodes behind a load balancer, on this machine, as two machines would run them.

    .venv/bin/python -m scripts.two_nodes --database-url postgresql://postgres@127.0.0.1:5432/send_ready \
        --redis-url redis://127.0.0.1:6379/0

starts, on 127.0.0.1:

- node A and node B: each its own gunicorn (its own processes and port, nothing shared in memory),
  both with the same SECRET_KEY, the same PostgreSQL database and the same Redis;
- HAProxy in front, sharing requests between them in turn, with no sticky sessions, and saying in
  an `X-Served-By` header which node answered;
- an SMTP server that keeps what it receives, so that the nodes' email goes through the real path
  (outbox, then SMTP) and can be counted.

It runs the migrations first, prints the addresses, and stops everything on Ctrl+C or SIGTERM.
tests/topology/test_two_nodes.py drives it. docs/deployment.md says how it maps onto real machines.
"""

# ruff: noqa: S603 (it starts its own programs: gunicorn, HAProxy, flask, with arguments it makes)
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

HAPROXY_CONFIG = """\
global
    maxconn 512
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend send_ready
    bind 127.0.0.1:{lb_port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-response set-header X-Served-By %[srv_name]
    server node-a 127.0.0.1:{port_a} check inter 2s
    server node-b 127.0.0.1:{port_b} check inter 2s
"""

# What a mail relay does, in a few lines: accept each message and keep it, one file per message.
SMTP_SINK = """
import smtpd, asyncore, sys, uuid, pathlib, warnings
warnings.simplefilter("ignore")
folder = pathlib.Path(sys.argv[2])
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, sender, recipients, data, **kwargs):
        (folder / (uuid.uuid4().hex + ".eml")).write_bytes(data if isinstance(data, bytes) else data.encode())
Sink(("127.0.0.1", int(sys.argv[1])), None, decode_data=False)
asyncore.loop()
"""


@dataclass
class Topology:
    lb_url: str
    node_urls: dict[str, str]
    env: dict[str, str]
    mail_folder: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    workdir: Path | None = None

    def flask(self, node: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a `flask` command as the given node would (its settings, the shared database and Redis)."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env={**self.env, "SEND_READY_NODE": node},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def mail(self) -> list[bytes]:
        return [path.read_bytes() for path in sorted(self.mail_folder.glob("*.eml"))]

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 only)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.3)


def _wait_for_both_behind(url: str, seconds: float = 60) -> None:
    """Until the load balancer's health checks have both nodes in service."""
    deadline = time.monotonic() + seconds
    seen: set[str] = set()
    while seen != {"node-a", "node-b"}:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 only)
                seen.add(response.headers.get("X-Served-By", ""))
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the load balancer sent requests only to {sorted(seen)} within {seconds:.0f} s")
        time.sleep(0.2)


def start(
    *,
    database_url: str,
    redis_url: str,
    lb_port: int = 8150,
    port_a: int = 8151,
    port_b: int = 8152,
    smtp_port: int = 8153,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
    migrate: bool = True,
) -> Topology:
    workdir = Path(tempfile.mkdtemp(prefix="send-ready-two-nodes-"))
    mail_folder = workdir / "mail"
    mail_folder.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": _sqlalchemy_url(database_url),
        "REDIS_URL": redis_url,
        # One secret for every node: a session cookie signed by one is good on the other.
        "SECRET_KEY": secrets.token_hex(32),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        # Plain HTTP on 127.0.0.1 here; in a real deployment TLS ends at the load balancer.
        "SEND_READY_ENV": "development",
        "TWO_STEP_REQUIRED_FOR_LEADERS": "false",
        **(extra_env or {}),
    }
    topology = Topology(
        lb_url=f"http://127.0.0.1:{lb_port}",
        node_urls={"node-a": f"http://127.0.0.1:{port_a}", "node-b": f"http://127.0.0.1:{port_b}"},
        env=env,
        mail_folder=mail_folder,
        workdir=workdir,
    )
    try:
        if migrate:
            done = topology.flask("setup", "db", "upgrade")
            if done.returncode != 0:
                raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-2000:]}")
        topology.processes.append(
            subprocess.Popen([sys.executable, "-c", SMTP_SINK, str(smtp_port), str(mail_folder)], cwd=ROOT, env=env)
        )
        for node, port in (("node-a", port_a), ("node-b", port_b)):
            topology.processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        str(workers),
                        "--name",
                        node,
                        "app:create_app()",
                    ],
                    cwd=ROOT,
                    env={**env, "SEND_READY_NODE": node},
                    stdout=subprocess.DEVNULL,
                    stderr=(workdir / f"{node}.log").open("w"),
                )
            )
        config = workdir / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(lb_port=lb_port, port_a=port_a, port_b=port_b))
        topology.processes.append(
            subprocess.Popen(
                [HAPROXY, "-db", "-f", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / "haproxy.log").open("w"),
            )
        )
        for url in topology.node_urls.values():
            _wait_for(url + "/healthz")
        _wait_for_both_behind(topology.lb_url + "/healthz")
    except BaseException:
        topology.stop()
        raise
    return topology


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Two app nodes behind HAProxy on 127.0.0.1.")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/send_ready")
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--lb-port", type=int, default=8150)
    parser.add_argument("--node-ports", type=int, nargs=2, default=(8151, 8152))
    parser.add_argument("--smtp-port", type=int, default=8153)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node (2)")
    args = parser.parse_args(argv)
    topology = start(
        database_url=args.database_url,
        redis_url=args.redis_url,
        lb_port=args.lb_port,
        port_a=args.node_ports[0],
        port_b=args.node_ports[1],
        smtp_port=args.smtp_port,
        workers=args.workers,
    )
    print(f"Load balancer: {topology.lb_url}")
    for node, url in topology.node_urls.items():
        print(f"{node}: {url}")
    print(f"Mail received: {topology.mail_folder}. Ctrl+C stops everything.")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while all(process.poll() is None for process in topology.processes):
            time.sleep(1)
        print("A process stopped; stopping the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
