"""Nothing reaches for the network at run time (issue: reliability, point 5).

The CLI runs in a subprocess whose interpreter — and every worker process it spawns — loads a
``sitecustomize`` that makes IPv4/IPv6 sockets and name lookups raise and records each attempt.
Where unprivileged network namespaces exist, the same screen also runs under ``unshare -rn``
(no network interface but a down loopback)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_GUARD = textwrap.dedent('''
    import os, socket

    _LOG = os.environ["CHELSCREEN_NET_LOG"]
    _real_socket = socket.socket

    def _record(what):
        with open(_LOG, "a") as fh:
            fh.write(f"{os.getpid()} {what}\\n")
        raise OSError(f"network disabled by the test: {what}")

    class _Guard(_real_socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            fam = socket.AF_INET if family == -1 else family
            if fileno is None and fam in (socket.AF_INET, socket.AF_INET6):
                _record(f"socket({fam!r})")
            super().__init__(family, type, proto, fileno)

    socket.socket = _Guard
    socket.getaddrinfo = lambda *a, **k: _record(f"getaddrinfo{a[:2]!r}")
    socket.gethostbyname = lambda *a, **k: _record(f"gethostbyname{a!r}")
    socket.create_connection = lambda *a, **k: _record(f"create_connection{a[:1]!r}")
''')


@pytest.fixture
def guarded_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_GUARD)
    log = tmp_path / "net.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO), env.get("PYTHONPATH", "")])
    env["CHELSCREEN_NET_LOG"] = str(log)
    return env, log


def test_the_guard_catches_a_connection(guarded_env):
    env, log = guarded_env
    p = subprocess.run([sys.executable, "-c", "import urllib.request as u\n"
                        "u.urlopen('http://example.org', timeout=5)"],
                       env=env, text=True, capture_output=True, timeout=60)
    assert p.returncode != 0 and "network disabled by the test" in p.stderr
    assert log.read_text().strip()


_ALL = textwrap.dedent("""
    import sys
    from chelscreen.cli import main

    out = sys.argv[1]
    runs = [
        ["-q", "screen", "DOTA,macropa,NOTA", "-r", "Ac-225,Lu-177", "--simulate-top", "1",
         "--n-jobs", "2", "--out", out],
        ["describe", "DOTA"],
        ["predict", "macropa", "--metals", "Ac3+"],
        ["decay", "Ac-225"],
        ["label", "DOTA", "-r", "Lu-177"],
    ]
    for args in runs:
        try:
            main(args)
        except SystemExit as exc:
            if exc.code not in (0, None):
                sys.exit(f"{args[:2]} exited {exc.code}")
    print("all ran")
""")


def test_cli_commands_run_with_sockets_disabled(guarded_env, tmp_path):
    """screen (two spawned workers, which load the guard too; the OpenMM funnel), describe, predict, decay and label, one interpreter."""
    env, log = guarded_env
    out = tmp_path / "screen"
    p = subprocess.run([sys.executable, "-c", _ALL, str(out)], env=env, text=True,
                       capture_output=True, timeout=600)
    assert p.returncode == 0 and "all ran" in p.stdout, p.stderr[-3000:]
    assert (out / "results.csv").exists() and (out / "report.html").exists()
    assert not log.exists() or not log.read_text().strip(), log.read_text()


def _netns() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _netns(), reason="unprivileged network namespaces unavailable")
def test_screen_in_a_network_namespace(tmp_path):
    """Every process (the CLI and its two spawned workers) without a network."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    out = tmp_path / "out"
    p = subprocess.run(["unshare", "-rn", sys.executable, "-m", "chelscreen", "-q", "screen",
                        "DOTA,macropa", "-r", "Lu-177", "--n-jobs", "2", "--chunk-size", "1",
                        "--out", str(out)], env=env, text=True,
                       capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert (out / "results.csv").read_text().count("\n") == 3
