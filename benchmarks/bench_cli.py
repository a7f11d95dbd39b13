"""CPU cost of one-ligand CLI calls against the bare imports they cannot avoid (issue 16).

Runs, interleaved ``--reps`` times in fresh processes and timed by the children's CPU time
(``resource.getrusage(RUSAGE_CHILDREN)``, user + system, so the load of a shared machine does
not count):

* reference: ``python -c "import rdkit.Chem, sklearn.ensemble, pandas"``
* ``chelscreen describe DOTA``
* ``chelscreen predict DOTA --metals Lu3+``

and prints min and median CPU seconds, the ratio of each call's median to the reference median
(target: ≤ 2×), the heavy modules each call imported (``-X importtime``: radioactivedecay, sympy,
matplotlib, dask, openmm, skops), the load average, and where the time goes: the import time
of each command summed per top-level package (``-X importtime``).

Usage::

    python benchmarks/bench_cli.py [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys

HEAVY = ("radioactivedecay", "sympy", "matplotlib", "dask", "distributed", "openmm", "skops",
         "scipy.optimize", "jinja2")


def _cli() -> list[str]:
    exe = shutil.which("chelscreen", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "chelscreen.cli"]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    c0 = _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    cpu = _children_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return cpu, proc.stderr


def _importtime(cmd: list[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """``(self us, cumulative us, module)`` of every import the command makes
    (``python -X importtime``)."""
    if cmd[0] != sys.executable:
        cmd = [sys.executable, "-X", "importtime", *cmd]
    else:
        cmd = [sys.executable, "-X", "importtime", *cmd[1:]]
    err = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cum, mod = (part.strip() for part in line[len("import time:"):].split("|", 2))
        if own.isdigit() and cum.isdigit():
            rows.append((int(own), int(cum), mod))
    return rows


def _heavy_imports(rows: list[tuple[int, int, str]]) -> list[str]:
    """Top-level heavy packages among the imports."""
    names = {mod for _, _, mod in rows}
    return sorted(h for h in HEAVY if h in names)


def _top_packages(rows: list[tuple[int, int, str]], top: int) -> list[tuple[str, int]]:
    """Import time (self, us) summed per top-level package, largest first."""
    per: dict[str, int] = {}
    for own, _, mod in rows:
        pkg = mod.split(".", 1)[0]
        per[pkg] = per.get(pkg, 0) + own
    return sorted(per.items(), key=lambda kv: -kv[1])[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--top", type=int, default=8, help="packages listed per command in the "
                    "import-time profile")
    args = ap.parse_args(argv)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cli = _cli()
    cases = {
        "reference: import rdkit.Chem, sklearn.ensemble, pandas":
            [sys.executable, "-c", "import rdkit.Chem, sklearn.ensemble, pandas"],
        "chelscreen describe DOTA": [*cli, "describe", "DOTA"],
        "chelscreen predict DOTA --metals Lu3+": [*cli, "predict", "DOTA", "--metals", "Lu3+"],
    }
    load0 = os.getloadavg()
    for cmd in cases.values():  # warm the file cache (and bytecode) once
        _run(cmd, env)
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.reps):
        for name, cmd in cases.items():
            cpu[name].append(_run(cmd, env)[0])
    load1 = os.getloadavg()
    ref = statistics.median(cpu[next(iter(cases))])
    print(f"CPU seconds of fresh processes, {args.reps} interleaved repetitions; load average "
          f"(1/5/15 min) {'/'.join(f'{x:.1f}' for x in load0)} -> "
          f"{'/'.join(f'{x:.1f}' for x in load1)}")
    imports = {name: _importtime(cmd, env) for name, cmd in cases.items()}
    for name in cases:
        med = statistics.median(cpu[name])
        heavy = _heavy_imports(imports[name])
        print(f"  {name:56s} min {min(cpu[name]):5.2f}  median {med:5.2f} CPU-s  "
              f"ratio {med / ref:4.2f}x  heavy imports: {', '.join(heavy) or 'none'}")
    print("target (issue 16): describe/predict of one ligand <= 2x the reference")
    print(f"\nWhere the time goes: import time per top-level package (-X importtime, self time "
          f"summed, wall ms of one run; top {args.top})")
    for name in cases:
        total = sum(own for own, _, _ in imports[name]) / 1000
        tops = ", ".join(f"{pkg} {us / 1000:.0f}" for pkg, us in _top_packages(imports[name],
                                                                               args.top))
        print(f"  {name:56s} all imports {total:5.0f} ms: {tops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
