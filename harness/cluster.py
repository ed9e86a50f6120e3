"""The scale-out on loopback: PostgreSQL, Redis, two action servers and two Rasa replicas behind
nginx, all from Debian's packages (`make services` installs them), each in a throwaway directory.

Used by tests/test_scale_out.py, the load benchmark and `make run-scaled`
(`python -m harness.cluster`). The Rasa replicas read deploy/endpoints.yml, nginx runs
deploy/nginx.conf.template: the same files an operator deploys.
"""

import argparse
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from harness.bot import (
    ARTIFACTS,
    ROOT,
    action_server_command,
    free_port,
    rasa_server_command,
    server_environment,
    start_logged,
    stop_all,
    wait_until_up,
)

DB_NAME = DB_USER = "helpdesk"
DEPLOY_ENDPOINTS = ROOT / "deploy" / "endpoints.yml"


def _postgres_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make services`")
    return found[-1]


def _as_postgres_user(command: List[str]) -> List[str]:
    # PostgreSQL refuses to run as root; the Debian package's `postgres` user runs it then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class LocalPostgres:
    """A PostgreSQL server of its own on 127.0.0.1 (trust authentication, loopback only), with the
    database `helpdesk`. `stop()` and `start()` simulate losing the database and getting it back."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.dir, postgres.pw_uid, postgres.pw_gid)
        self._run(
            [
                _postgres_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                DB_USER,
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ]
        )

    def _run(self, command: List[str]) -> None:
        subprocess.run(_as_postgres_user(command), check=True, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            [
                _postgres_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        )

    def stop(self) -> None:
        self._run([_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def create_database(self) -> None:
        self._run(
            [_postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME]
        )

    def query(self, sql: str) -> List[tuple]:
        import psycopg2  # installed with Rasa (its PostgreSQL tracker store)

        with psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, dbname=DB_NAME) as c:
            with c.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    postgres = LocalPostgres()
    try:
        postgres.start()
        postgres.create_database()
        yield postgres
    finally:
        postgres.remove()


@contextmanager
def local_redis() -> Iterator[int]:
    """A Redis server of its own on 127.0.0.1 without persistence; yields its port."""
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline or redis.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.2)
        yield port
    finally:
        redis.terminate()
        redis.wait(timeout=10)


@contextmanager
def local_nginx(
    listen: int, action_listen: int, rasa_ports: List[int], action_ports: List[int]
) -> Iterator[Path]:
    """nginx with deploy/nginx.conf.template, in front of the given replicas; yields its run dir."""
    run_dir = Path(tempfile.mkdtemp(prefix="helpdesk-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody) keep their temporary files there

    def servers(ports: List[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in ports)

    config = (
        (ROOT / "deploy" / "nginx.conf.template")
        .read_text(encoding="utf-8")
        .replace("@@RUN_DIR@@", str(run_dir))
        .replace("@@LISTEN@@", f"127.0.0.1:{listen}")
        .replace("@@ACTION_LISTEN@@", f"127.0.0.1:{action_listen}")
        .replace("@@RASA_SERVERS@@", servers(rasa_ports))
        .replace("@@ACTION_SERVERS@@", servers(action_ports))
    )
    (run_dir / "nginx.conf").write_text(config, encoding="utf-8")
    nginx = subprocess.Popen(
        ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=(run_dir / "stderr.log").open("w"),
    )
    try:
        wait_until_up(f"http://127.0.0.1:{action_listen}/health", nginx, run_dir / "stderr.log")
        yield run_dir
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(run_dir, ignore_errors=True)


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class RunningCluster:
    url: str  # nginx: REST at url + /webhooks/rest/webhook, socket.io at url + /socket.io/
    postgres: LocalPostgres
    redis_port: int
    replicas: List[Replica] = field(default_factory=list)

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def kill(self, replica: Replica) -> None:
        """Ends a replica at once, as a crash or an OOM kill would."""
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait(timeout=30)


@contextmanager
def running_cluster(
    model: Path,
    replicas: int = 2,
    listen: Optional[int] = None,
    allowed_origins: str = "http://localhost:8000",
    env: Optional[Dict[str, str]] = None,
) -> Iterator[RunningCluster]:
    ARTIFACTS.mkdir(exist_ok=True)
    listen = listen or free_port()
    action_listen = free_port()
    rasa_ports = [free_port() for _ in range(replicas)]
    action_ports = [free_port() for _ in range(replicas)]
    processes: List[subprocess.Popen] = []
    with ExitStack() as stack:
        postgres = stack.enter_context(local_postgres())
        redis_port = stack.enter_context(local_redis())
        environment = server_environment(
            {
                "DB_HOST": "127.0.0.1",
                "DB_PORT": str(postgres.port),
                "DB_NAME": DB_NAME,
                "DB_USER": DB_USER,
                "DB_PASSWORD": "",
                "REDIS_HOST": "127.0.0.1",
                "REDIS_PORT": str(redis_port),
                "ACTION_SERVER_URL": f"http://127.0.0.1:{action_listen}/webhook",
                "HELPDESK_ALLOWED_ORIGINS": allowed_origins,
                # nginx in front: Sanic takes the client's address from the X-Forwarded-For it adds, so
                # one student's wrong staff tokens do not lock out everyone behind the proxy.
                "SANIC_PROXIES_COUNT": "1",
                # A conversation locked by a replica that died is free again after this many seconds.
                "TICKET_LOCK_LIFETIME": "10",
                **(env or {}),
            }
        )
        cluster = RunningCluster(url=f"http://127.0.0.1:{listen}", postgres=postgres, redis_port=redis_port)
        try:
            action_servers = []
            for number, port in enumerate(action_ports, 1):
                log = ARTIFACTS / f"cluster-actions-{number}.log"
                action_servers.append(
                    (port, start_logged(action_server_command(port), environment, log), log)
                )
                processes.append(action_servers[-1][1])
            for number, port in enumerate(rasa_ports, 1):
                log = ARTIFACTS / f"cluster-rasa-{number}.log"
                process = start_logged(rasa_server_command(model, port, DEPLOY_ENDPOINTS), environment, log)
                processes.append(process)
                cluster.replicas.append(Replica(f"rasa-{number}", port, process, log))
                # One after the other: the first creates the tables, the others find them.
                wait_until_up(f"http://127.0.0.1:{port}/", process, log)
            for port, process, log in action_servers:
                wait_until_up(f"http://127.0.0.1:{port}/health", process, log)
            stack.enter_context(local_nginx(listen, action_listen, rasa_ports, action_ports))
            yield cluster
        finally:
            stop_all(processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "helpdesk.tar.gz"))
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    with running_cluster(
        Path(args.model),
        args.replicas,
        listen=args.port,
        allowed_origins=os.environ.get("HELPDESK_ALLOWED_ORIGINS", "http://localhost:8000"),
    ) as cluster:
        print(
            f"{len(cluster.replicas)} Rasa replicas behind nginx on {cluster.url} "
            f"(REST {cluster.webhook}); PostgreSQL on port {cluster.postgres.port}, Redis on "
            f"port {cluster.redis_port}, both thrown away at the end. Ctrl-C stops everything.",
            flush=True,
        )
        try:
            while all(replica.process.poll() is None for replica in cluster.replicas):
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
