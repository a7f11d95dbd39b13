"""Throughput of ``chelscreen.describe`` (2D features) on 5,000 generated chelators.

Usage::

    python benchmarks/bench_describe.py [--n 5000] [--n-jobs 2]

The inputs are enumerated variants of DOTA, NOTA, TETA, EDTA, DTPA, dedpa, octapa, macropa,
18-crown-6 and DOTAM scaffolds carrying two substituents (H, alkyl, (substituted) phenyl and benzyl,
p-SCN-benzyl, pyridylmethyl, hydroxy/methoxy/fluoro-alkyl ...) at two ring/backbone positions
(90 %), plus DOTA-peptide conjugates (10 %). Prints the time of the whole ``describe`` (reading +
standardization + core finding + features) and of the feature step alone, in ligands/s: wall-clock
and CPU
time (this process plus its worker processes). On a shared, loaded machine the CPU-time figure
is the meaningful one; ``2 x`` ligands per CPU-second is what two idle cores deliver.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import time

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()

    from rdkit import Chem

    from chelscreen.chem.descriptors import describe, ligand_features

    smiles = generate(args.n)
    assert len(smiles) == args.n, len(smiles)
    print(f"{len(smiles)} inputs, {len(set(smiles))} unique; n_jobs={args.n_jobs}; "
          f"{os.cpu_count()} CPUs visible")

    def cpu() -> float:  # this process + finished worker processes
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    w0, c0 = time.perf_counter(), cpu()
    df = describe(smiles, n_jobs=args.n_jobs)
    w1, c1 = time.perf_counter(), cpu()
    n_ok = int((df["status"] == "ok").sum())
    print(f"describe (read + standardize + core + features), n_jobs={args.n_jobs}: "
          f"wall {w1 - w0:.2f} s = {len(smiles) / (w1 - w0):.0f} ligands/s; "
          f"CPU {c1 - c0:.2f} s = {len(smiles) / (c1 - c0):.0f} ligands/s per core "
          f"(= {2 * len(smiles) / (c1 - c0):.0f} ligands/s on 2 idle cores) ({n_ok} ok)")

    mols = [Chem.MolFromSmiles(s) for s in df["core_smiles"] if isinstance(s, str) and s]
    w2, c2 = time.perf_counter(), cpu()
    for m in mols:
        ligand_features(m)
    w3, c3 = time.perf_counter(), cpu()
    print(f"ligand_features alone, 1 process: wall {len(mols) / (w3 - w2):.0f} ligands/s, "
          f"CPU {len(mols) / (c3 - c2):.0f} ligands/s per core")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"1-min load average during the run: {load:.1f} (wall figures are only meaningful "
          f"on an otherwise idle machine)")

if __name__ == "__main__":
    main()
