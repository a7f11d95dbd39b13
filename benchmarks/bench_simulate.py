"""Where the simulation time goes, and what the MMFF force layout costs against native OpenMM.

Part 1 (per-stage seconds): build (embedding, parametrization, restrained relaxation of the
starting conformers), MD (setup + equilibration + production), strain probe, pulling, for
Lu-DOTA, Ac-macropa and Pb-TCMC (DOTAM), with ns/day and the platform.

Part 2 (``--layouts``, MD only, ``--case`` Lu-DOTA (default), Ac-macropa or Pb-TCMC in GBSA-OBC2,
4 fs HMR, H bonds constrained): CPU seconds
per 1,000 Langevin steps of the same complex with

- ``separate``: one custom force per MMFF term, OpenMM's angle()/distance() functions (the
  layout used before 2026-12-03; kept as the term-by-term reference);
- ``compact``: the default: angle bend + stretch-bend in one CustomCompoundBondForce written in
  particle coordinates, one CustomTorsionForce, the ion-ligand pairs (12-6 LJ + Coulomb) in one
  CustomBondForce (same energy and forces: ``tests/unit/test_simulate_mmff.py``);
- ``compact-nb``: ``compact`` with the ion-ligand pairs in a NoCutoff NonbondedForce with every
  ligand-ligand pair excluded (the construction before 2026-12-05, ``ion_nonbonded=True``);
- ``native``: a reference built from OpenMM's native forces only, same particles and the same
  interaction lists: HarmonicBond (bonds), HarmonicAngle (angles), PeriodicTorsion
  (torsions), NonbondedForce with the MMFF 1-4+ pairs as exceptions (LJ + Coulomb), GBSA and
  the ion as in the others (no stretch-bend, no out-of-plane: it is the floor, not a
  force field).

Interleaved repetitions (``--reps``, default 3), minimum and median CPU seconds (process time, so
other jobs on the machine do not count), the 1-minute load average, and ratios against
``native`` measured in the same run. Reference and CPU (1 thread) platforms.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_simulate.py [--layouts] [--protocol fast]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

CASES = [
    ("Lu-DOTA", "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1", "Lu3+"),
    ("Ac-macropa", "O=C(O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1", "Ac3+"),
    ("Pb-TCMC", "NC(=O)CN1CCN(CC(N)=O)CCN(CC(N)=O)CCN(CC(N)=O)CC1", "Pb2+"),
]


def stages(args: argparse.Namespace) -> None:
    from chelscreen.simulate import build_complex, run

    print(f"protocol {args.protocol}; wall seconds per stage (load {os.getloadavg()[0]:.2f})")
    print(f"{'complex':11s} {'atoms':>5s} {'build':>6s} {'relax':>6s} {'MD':>6s} {'strain':>6s} "
          f"{'pull':>6s} {'total':>6s} {'ns/day':>7s} {'CN mean':>7s} platform")
    for name, smi, metal in CASES:
        t0 = time.perf_counter()
        cx = build_complex(smi, metal, seed=args.seed, platform=args.platform)
        row = run(cx, args.protocol, seed=args.seed, platform=args.platform)
        total = time.perf_counter() - t0
        print(f"{name:11s} {cx.n_atoms:5d} {row['build_s']:6.2f} {row['relax_s']:6.2f} "
              f"{row['md_s']:6.2f} {row['strain_s']:6.2f} {row.get('pull_s', 0.0):6.2f} "
              f"{total:6.2f} {row['ns_per_day']:7.0f} {row['cn_mean']:7.2f} {row['platform']}",
              flush=True)


def native_system(cx):
    """Same particles and interaction lists as the MMFF system, native OpenMM forces only."""
    import openmm as mm

    from chelscreen.simulate.build import _gb_force
    from chelscreen.simulate.mmff import KCAL, extract_terms, lj_from_mmff

    mol = cx.mol
    terms = extract_terms(mol)
    system = mm.System()
    masses = [a.GetMass() for a in mol.GetAtoms()]
    for a in mol.GetAtoms():  # HMR as in the fast protocol
        if a.GetAtomicNum() == 1:
            h, heavy = a.GetIdx(), a.GetNeighbors()[0].GetIdx()
            shift = 3.024 - masses[h]
            masses[h] += shift
            masses[heavy] -= shift
    for m in masses:
        system.addParticle(m)
    from rdkit import Chem

    system.addParticle(Chem.GetPeriodicTable().GetAtomicWeight(cx.ion.element))
    hb = mm.HarmonicBondForce()
    for i, j, kb, r0 in terms.bonds:
        hb.addBond(i, j, r0 / 10.0, KCAL * 143.9325 * kb * 100.0)
        if 1 in (mol.GetAtomWithIdx(i).GetAtomicNum(), mol.GetAtomWithIdx(j).GetAtomicNum()):
            system.addConstraint(i, j, r0 / 10.0)
    ha = mm.HarmonicAngleForce()
    for i, j, k, ka, t0, _lin in terms.angles:
        ha.addAngle(i, j, k, t0 * 3.141592653589793 / 180.0, KCAL * 143.9325 * ka)
    pt = mm.PeriodicTorsionForce()
    for i, j, k, l_, v1, v2, v3 in terms.torsions:
        for n, v, ph in ((1, v1, 0.0), (2, v2, 3.141592653589793), (3, v3, 0.0)):
            if v:
                pt.addTorsion(i, j, k, l_, n, ph, 0.5 * KCAL * v)
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.NoCutoff)
    lj = lj_from_mmff(terms)
    for q, sig, eps in lj:
        nb.addParticle(q, sig, eps)
    nb.addParticle(float(cx.ion.charge), cx.ion.sigma_nm, cx.ion.epsilon_kJ)
    pair = {(i, j): (rs, eps, qq) for i, j, rs, eps, qq in terms.pairs}
    n = mol.GetNumAtoms()
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) in pair:
                rs, eps, qq = pair[(i, j)]
                nb.addException(i, j, qq, rs / 10.0 / 2 ** (1 / 6), eps * KCAL)
            else:
                nb.addException(i, j, 0.0, 0.1, 0.0)
    for f in (hb, ha, pt, nb, _gb_force(mol, terms, cx.ion)):
        system.addForce(f)
    return system


def layouts(args: argparse.Namespace) -> None:
    import numpy as np
    import openmm as mm
    from openmm import unit

    from chelscreen.simulate import build_complex
    from chelscreen.simulate.build import make_system

    name, smi, metal = next(c for c in CASES if c[0] == args.case)
    cx = build_complex(smi, metal, seed=args.seed, n_conformers=2)
    systems = {
        "separate": make_system(cx.mol, cx.ion, solvent="implicit", hmr=True,
                                layout="separate")[0],
        "compact": make_system(cx.mol, cx.ion, solvent="implicit", hmr=True,
                               layout="compact")[0],
        "compact-nb": make_system(cx.mol, cx.ion, solvent="implicit", hmr=True,
                                  layout="compact", ion_nonbonded=True)[0],
        "native": native_system(cx),
    }
    pos = np.vstack([cx.ligand_positions_A, cx.metal_pos_A]) / 10.0
    steps = args.steps
    for plat_name in ("Reference", "CPU"):
        plat = mm.Platform.getPlatformByName(plat_name)
        props = {"Threads": "1"} if plat_name == "CPU" else {}
        ctxs = {}
        for k, sysm in systems.items():
            integ = mm.LangevinMiddleIntegrator(300, 5, 0.004)
            integ.setRandomNumberSeed(1)
            ctx = mm.Context(sysm, integ, plat, props)
            ctx.setPositions(pos * unit.nanometer)
            ctx.applyConstraints(1e-6)
            mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 200)
            ctx.setVelocitiesToTemperature(300, 1)
            integ.step(50)
            ctxs[k] = ctx
        times: dict[str, list[float]] = {k: [] for k in systems}
        loads = []
        for _ in range(args.reps):
            for k, ctx in ctxs.items():  # interleaved
                loads.append(os.getloadavg()[0])
                t0 = time.process_time()
                ctx.getIntegrator().step(steps)
                times[k].append((time.process_time() - t0) * 1000.0 / steps)
        ref = min(times["native"])
        print(f"\n{plat_name} platform, {name} ({cx.n_atoms} particles), {steps} steps x "
              f"{args.reps} reps interleaved, load {min(loads):.2f}-{max(loads):.2f}")
        print(f"  {'layout':10s} {'CPU s/1000 steps min':>21s} {'median':>7s} {'vs native':>9s}")
        for k, v in times.items():
            print(f"  {k:10s} {min(v):21.3f} {statistics.median(v):7.3f} {min(v) / ref:8.2f}x")
        gain = min(times["separate"]) / min(times["compact"])
        gmed = statistics.median(times["separate"]) / statistics.median(times["compact"])
        print(f"  compact vs separate: {gain:.2f}x faster (min), {gmed:.2f}x (median)")
        gain = min(times["compact-nb"]) / min(times["compact"])
        gmed = statistics.median(times["compact-nb"]) / statistics.median(times["compact"])
        print(f"  compact vs compact-nb (ion pairs in a NonbondedForce): {gain:.2f}x faster "
              f"(min), {gmed:.2f}x (median)")
        del ctxs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", default="fast", choices=["fast", "standard", "explicit"])
    ap.add_argument("--platform", default=None)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--layouts", action="store_true", help="only the force-layout comparison")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--case", default="Lu-DOTA", choices=[c[0] for c in CASES],
                    help="complex of the --layouts comparison")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENMM_CPU_THREADS", "1")
    if not args.layouts:
        stages(args)
    layouts(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
