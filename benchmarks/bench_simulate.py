"""Per-stage timings of the OpenMM simulations: Lu-DOTA, Ac-macropa, Pb-TCMC (DOTAM).

Prints seconds for build (embedding, parametrization, restrained relaxation of the starting
conformers), MD, strain probe and (standard) pulling, plus ns/day and the OpenMM platform.

    nice -n 10 python benchmarks/bench_simulate.py [--protocol standard] [--platform CPU]
"""

from __future__ import annotations

import argparse
import sys
import time

CASES = [
    ("Lu-DOTA", "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1", "Lu3+"),
    ("Ac-macropa", "O=C(O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1", "Ac3+"),
    ("Pb-TCMC", "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1", "Pb2+"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", default="fast", choices=["fast", "standard", "explicit"])
    ap.add_argument("--platform", default=None)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    from chelscreen.simulate import build_complex, run

    hdr = (f"{'complex':11s} {'atoms':>5s} {'embed':>6s} {'param':>6s} {'relax':>6s} "
           f"{'setup':>6s} {'MD':>6s} {'strain':>6s} {'pull':>6s} {'total':>6s} "
           f"{'ns/day':>7s} {'CN mean':>7s} platform")
    print(f"protocol {args.protocol}; seconds per stage")
    print(hdr)
    for name, smi, metal in CASES:
        t0 = time.perf_counter()
        cx = build_complex(smi, metal, seed=args.seed, platform=args.platform)
        row = run(cx, args.protocol, seed=args.seed, platform=args.platform)
        total = time.perf_counter() - t0
        b = cx.timings_s
        print(f"{name:11s} {cx.n_atoms:5d} {b['embed']:6.2f} {b['parametrize']:6.2f} "
              f"{b['relax']:6.2f} {row.get('setup_s', float('nan')):6.2f} {row['md_s']:6.2f} "
              f"{row['strain_s']:6.2f} {row.get('pull_s', 0.0):6.2f} {total:6.2f} "
              f"{row['ns_per_day']:7.0f} {row['cn_mean']:7.2f} {row['platform']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
