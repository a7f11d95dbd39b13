"""Throughput of ``chelscreen.describe`` (2D features) on 5,000 generated chelators.

Usage::

    python benchmarks/bench_describe.py [--n 5000] [--n-jobs 2]

The inputs are enumerated variants of DOTA, NOTA, TETA, EDTA, DTPA, dedpa, octapa, macropa,
18-crown-6 and DOTAM scaffolds carrying two substituents (H, alkyl, (substituted) phenyl and benzyl,
p-SCN-benzyl, pyridylmethyl, hydroxy/methoxy/fluoro-alkyl ...) at two ring/backbone positions
(90 %), plus DOTA-peptide conjugates (10 %). Prints the time of the whole ``describe`` (reading +
standardization + core finding + features) for ``n_jobs=1`` and ``n_jobs=2`` on the list, and for
``n_jobs=2`` on the same ligands written to a ``.smi`` file, then the feature step alone: wall-clock
ligands/s, CPU seconds (this process plus its worker processes) and the load average before and
after each run (``os.getloadavg()``), so that a wall figure on a shared machine can be judged.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import tempfile
import time
from pathlib import Path

SUBSTITUENTS = ["[H]", "C", "CC", "CCC", "c1ccccc1", "Cc1ccccc1", "Cc1ccc(OC)cc1",
                "c1ccc(F)cc1", "CCO", "CC(C)C", "C1CCCCC1", "Cc1ccc(Cl)cc1", "COC", "CCc1ccccc1",
                "Cc1ccc(N=C=S)cc1", "CC(F)(F)F", "Cc1ccncc1", "CCN(C)C", "CO", "CF", "CCCC",
                "Cc1ccc(O)cc1", "Cc1ccco1", "CCCl", "CC#N"]

# {A} and {B} mark two backbone/ring positions that carry substituents
SCAFFOLDS = [
    "OC(=O)CN1CC({A})N(CC(O)=O)CC({B})N(CC(O)=O)CCN(CC(O)=O)CC1",  # DOTA
    "OC(=O)CN1CC({A})N(CC(O)=O)CC({B})N(CC(O)=O)CC1",  # NOTA
    "OC(=O)CN1CC({A})CN(CC(O)=O)CC({B})N(CC(O)=O)CCCN(CC(O)=O)CC1",  # TETA
    "OC(=O)CN(CC(O)=O)C({A})C({B})N(CC(O)=O)CC(O)=O",  # EDTA
    "OC(=O)CN(CC(O)=O)CC({A})N(CC(O)=O)CC({B})N(CC(O)=O)CC(O)=O",  # DTPA
    "OC(=O)c1cc({A})cc(CNCCNCc2cc({B})cc(C(O)=O)n2)n1",  # H2dedpa
    "OC(=O)CN(Cc1cc({A})cc(C(O)=O)n1)CCN(CC(O)=O)Cc1cc({B})cc(C(O)=O)n1",  # H4octapa
    "OC(=O)c1cc({A})cc(CN2CCOCCOCCN(Cc3cc({B})cc(C(O)=O)n3)CCOCCOCC2)n1",  # macropa
    "C1OCC({A})OCCOCC({B})OCCOCC1",  # 18-crown-6
    "NC(=O)CN1CC({A})N(CC(N)=O)CC({B})N(CC(N)=O)CCN(CC(N)=O)CC1",  # DOTAM
]
# DOTA-peptide conjugates (about 10 % of the inputs): DOTA-X-Gly-Lys-Y-OH
CONJUGATE = ("OC(=O)CN1CCN(CC(O)=O)CCN(CC(=O)NC(C{A})C(=O)NCC(=O)NC(CCCCN)C(=O)NC(C{B})"
             "C(O)=O)CCN(CC(O)=O)CC1")


def _fill(template: str, a: str, b: str) -> str:
    """Put substituents ``a``/``b`` in the ``{A}``/``{B}`` slots ("[H]": no substituent).

    Substituent rings use closure digits 8/9, which no scaffold uses.
    """
    a, b = a.replace("1", "8"), b.replace("1", "9")
    for slot, sub in (("{A}", a), ("{B}", b)):
        if sub == "[H]":
            template = template.replace(f"({slot})", "").replace(slot, "")
        else:
            template = template.replace(slot, sub)
    return template


def generate(n: int) -> list[str]:
    """``n`` distinct SMILES: every scaffold with every (A, B) substituent pair, then conjugates;
    about 90 % plain chelators and 10 % DOTA-peptide conjugates."""
    pairs = list(itertools.product(SUBSTITUENTS, repeat=2))
    plain = [_fill(s, a, b) for (a, b) in pairs for s in SCAFFOLDS]
    conj = [_fill(CONJUGATE, a, b) for (a, b) in pairs]
    n_conj = n // 10
    out = list(dict.fromkeys(conj))[:n_conj]
    out += list(dict.fromkeys(plain))[: n - len(out)]
    return out


def _cpu() -> float:
    """CPU seconds of this process plus its finished (joined) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _run(label: str, fn, n: int) -> float:
    load0 = _load()
    w0, c0 = time.perf_counter(), _cpu()
    df = fn()
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    n_ok = int((df["status"] == "ok").sum())
    print(f"{label:34s} wall {wall:6.2f} s = {n / wall:6.0f} ligands/s | CPU {cpu:6.2f} s "
          f"= {n / cpu:5.0f} ligands/CPU-s | load 1/5/15 min {load0} -> {_load()} ({n_ok} ok)")
    return cpu


DONOR_SMARTS = "[$([OX2H1][CX3]=O),$([OX1]=[CX3][#7,#8]),$([NX3;!$(N-C=O)]),$([nX2])]"


def plain_rdkit(smiles: list[str]):
    """The reference: parse + 9 common descriptors + one donor-count SMARTS, plain RDKit."""
    import pandas as pd
    from rdkit import Chem
    from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors

    patt = Chem.MolFromSmarts(DONOR_SMARTS)
    rows = []
    for s in smiles:
        m = Chem.MolFromSmiles(s)
        if m is None:
            rows.append({"status": "invalid"})
            continue
        rows.append({
            "status": "ok", "mw": Descriptors.MolWt(m), "logp": Crippen.MolLogP(m),
            "tpsa": rdMolDescriptors.CalcTPSA(m), "hbd": Lipinski.NumHDonors(m),
            "hba": Lipinski.NumHAcceptors(m), "rotb": rdMolDescriptors.CalcNumRotatableBonds(m),
            "rings": rdMolDescriptors.CalcNumRings(m), "heavy": m.GetNumHeavyAtoms(),
            "charge": Chem.GetFormalCharge(m), "donors": len(m.GetSubstructMatches(patt)),
        })
    return pd.DataFrame(rows)


#: RDKit calls timed one by one in the profile (module, attribute, label); the rest of the
#: time is chelscreen's own Python (and pandas)
_RDKIT_CALLS = [
    ("Chem", "MolFromSmiles", "parse SMILES (MolFromSmiles)"),
    ("Chem", "SanitizeMol", "sanitize (SanitizeMol)"),
    ("Chem", "AssignStereochemistry", "stereo perception (AssignStereochemistry)"),
    ("Chem", "MolToSmiles", "write canonical SMILES (MolToSmiles)"),
    ("Chem", "GetDistanceMatrix", "topological distance matrix (GetDistanceMatrix)"),
    ("rdmd", "CalcCrippenDescriptors", "Crippen logP (CalcCrippenDescriptors)"),
    ("rdmd", "CalcNumHBA", "H-bond acceptors (CalcNumHBA)"),
    ("rdmd", "CalcNumRotatableBonds", "rotatable bonds (CalcNumRotatableBonds)"),
    ("rdmd", "CalcTPSA", "TPSA (CalcTPSA)"),
    ("rdmd", "CalcNumHBD", "H-bond donors (CalcNumHBD)"),
    ("Mol", "GetSubstructMatches", "SMARTS searches (GetSubstructMatches)"),
    ("Mol", "HasSubstructMatch", "SMARTS tests (HasSubstructMatch)"),
]


def profile(smiles: list[str], top: int = 12) -> None:
    """Where the time of one serial ``describe`` goes: CPU seconds of the main RDKit calls
    (each wrapped with a CPU timer), then chelscreen's own functions by cProfile ``tottime``
    (RDKit C++ time made from a Python function is counted in that function's ``tottime``:
    cProfile does not see Boost.Python calls)."""
    import cProfile
    import pstats
    from collections import Counter

    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors as rdmd

    from chelscreen.chem.descriptors import describe

    owners = {"Chem": Chem, "rdmd": rdmd, "Mol": Chem.Mol}
    spent: Counter = Counter()
    calls: Counter = Counter()
    saved = []

    def timed(fn, label):
        def wrapper(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - t0
                calls[label] += 1
        return wrapper

    for owner, attr, label in _RDKIT_CALLS:
        fn = getattr(owners[owner], attr)
        saved.append((owners[owner], attr, fn))
        setattr(owners[owner], attr, timed(fn, label))
    try:
        c0 = time.process_time()
        describe(smiles, n_jobs=1)
        total = time.process_time() - c0
    finally:
        for obj, attr, fn in saved:
            setattr(obj, attr, fn)
    n = len(smiles)
    print(f"\nWhere the time goes: one serial describe of the {n} inputs, {total:.2f} CPU-s "
          f"with the timers (load {_load()})")
    rd = 0.0
    for label, sec in spent.most_common():
        rd += sec
        print(f"  {label:48s} {sec:6.3f} s {100 * sec / total:5.1f} %  "
              f"({calls[label]} calls)")
    print(f"  {'chelscreen Python, pandas and other RDKit calls':48s} {total - rd:6.3f} s "
          f"{100 * (total - rd) / total:5.1f} %")
    c0 = time.process_time()
    plain_rdkit(smiles)
    ref = time.process_time() - c0
    print(f"  the timed RDKit calls alone: {rd / ref:.2f}x the plain-RDKit reference on the same "
          f"inputs ({ref:.2f} CPU-s); the rest: {(total - rd) / ref:.2f}x (the target 1.5x "
          f"leaves {max(1.5 - rd / ref, 0):.2f}x for it)")
    prof = cProfile.Profile()
    prof.enable()
    describe(smiles, n_jobs=1)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (path, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        if "chelscreen" in path:
            short = path.split("chelscreen/", 1)[-1]
            rows.append((tottime, cumtime, ncalls, f"{short}:{line}({func})"))
    rows.sort(reverse=True)
    print(f"Top {top} chelscreen functions by own time (cProfile tottime, incl. the RDKit calls "
          "they make; cProfile inflates Python-heavy code):")
    for tottime, cumtime, ncalls, name in rows[:top]:
        print(f"  {name:58s} tottime {tottime:6.3f} s  cumtime {cumtime:6.3f} s  "
              f"{ncalls} calls")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--n-jobs", type=int, default=2, help="workers of the parallel runs")
    ap.add_argument("--skip-serial", action="store_true", help="only the n_jobs > 1 runs")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions of the "
                    "n_jobs=1 run and its plain-RDKit reference")
    ap.add_argument("--serial-only", action="store_true",
                    help="only the n_jobs=1 run against the reference")
    ap.add_argument("--no-profile", action="store_true",
                    help="skip the profile of one serial describe (where the time goes)")
    args = ap.parse_args()

    from rdkit import Chem

    from chelscreen.chem.descriptors import describe, ligand_features

    smiles = generate(args.n)
    n = len(smiles)
    assert n == args.n, n
    print(f"{n} inputs, {len(set(smiles))} unique; {os.cpu_count()} CPUs visible; "
          f"load average (1/5/15 min) at start {_load()}")
    describe(smiles[:20])  # warm-up: imports, SMARTS compilation, library index
    plain_rdkit(smiles[:20])
    if not args.skip_serial:
        # interleaved with the plain-RDKit reference on the same inputs, same process
        ref, mine = [], []
        for rep in range(args.reps):
            ref.append(_run(f"reference: plain RDKit [{rep + 1}]", lambda: plain_rdkit(smiles),
                            n))
            mine.append(_run(f"describe(list), n_jobs=1 [{rep + 1}]",
                             lambda: describe(smiles, n_jobs=1), n))
        r = sorted(m / f for m, f in zip(mine, ref))
        print(f"describe / plain-RDKit reference, CPU ratio per repetition: "
              f"min {r[0]:.2f}, median {r[len(r) // 2]:.2f} (target <= 1.5)")
    if not args.no_profile:
        profile(smiles[:1000])
    if args.serial_only:
        return
    _run(f"describe(list), n_jobs={args.n_jobs}", lambda: describe(smiles, n_jobs=args.n_jobs),
         n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.smi"
        path.write_text("".join(f"{s}\tB{k}\n" for k, s in enumerate(smiles)))
        _run(f"describe(.smi file), n_jobs={args.n_jobs}",
             lambda: describe(path, n_jobs=args.n_jobs), n)
    df = describe(smiles[:1000])
    mols = [Chem.MolFromSmiles(s) for s in df["core_smiles"] if isinstance(s, str) and s]
    w2, c2 = time.perf_counter(), _cpu()
    for m in mols:
        ligand_features(m)
    w3, c3 = time.perf_counter(), _cpu()
    print(f"ligand_features alone (1,000 cores, 1 process): wall {len(mols) / (w3 - w2):.0f} "
          f"ligands/s, CPU {len(mols) / (c3 - c2):.0f} ligands/CPU-s")
    print("On a shared machine the wall figures depend on the load printed with them; "
          "ligands/CPU-s x 2 is what two idle cores give at most.")


if __name__ == "__main__":
    main()
