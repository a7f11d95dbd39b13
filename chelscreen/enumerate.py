"""Enumerated chelator libraries: pendant arms on common backbones, with structure checks.

A scaffold is a backbone whose donor nitrogens carry ``k`` substitution sites; an arm is a
pendant group attached through its first atom. :func:`enumerate_ligands` builds every
combination (or a random sample of them), keeps one canonical SMILES per distinct molecule
(symmetry-equivalent combinations collapse), and checks each structure: it must parse and
sanitize in RDKit, be neutral, and carry at least ``min_donors`` donor atoms as perceived by
:mod:`chelscreen.chem.donors`.

Examples
--------
>>> lib = enumerate_ligands("cyclen", ["acetate", "acetamide"])
>>> len(lib)  # 2^4 = 16 combinations, 6 distinct molecules under the ring's symmetry
6
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

import pandas as pd

from chelscreen.errors import ChelscreenError

__all__ = ["ARMS", "SCAFFOLDS", "enumerate_ligands", "iter_ligands"]

#: pendant arms: name -> SMILES of the group, attached through its first atom
ARMS: dict[str, str] = {
    "acetate": "CC(=O)O",
    "acetamide": "CC(N)=O",
    "n-ethylacetamide": "CC(=O)NCC",
    "propionate": "CCC(=O)O",
    "alpha-methylacetate": "C(C)C(=O)O",
    "methylphosphonate": "CP(=O)(O)O",
    "methylphosphinate": "CP(C)(=O)O",
    "picolinate": "Cc1cccc(C(=O)O)n1",
    "pyridylmethyl": "Cc1ccccn1",
    "hydroxyethyl": "CCO",
    "hydroxamate": "CC(=O)N(C)O",
    "8-hydroxyquinolinylmethyl": "Cc1ccc2cccc(O)c2n1",
    "methyl": "C",
    "H": "[H]",
}

#: backbones: name -> (template with {0}..{k-1} arm slots on N, number of slots)
SCAFFOLDS: dict[str, tuple[str, int]] = {
    "cyclen": ("C%91CN({0})CCN({1})CCN({2})CCN%91{3}", 4),
    "cyclam": ("C%91CN({0})CCN({1})CCCN({2})CCN({3})C%91", 4),
    "tacn": ("C%91CN({0})CCN({1})CCN%91{2}", 3),
    "diaza18c6": ("C%91COCCOCCN({1})CCOCCOCCN%91{0}", 2),
    "diaza15c5": ("C%91COCCOCCN({1})CCOCCN%91{0}", 2),
    "en": ("N({0})({1})CCN({2}){3}", 4),
    "dien": ("N({0})({1})CCN({2})CCN({3}){4}", 5),
}


class EnumerationError(ChelscreenError, ValueError):
    """Unknown scaffold or arm, or an empty request."""


def _arm_smiles(arms: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for a in arms:
        key = a.strip()
        if key in ARMS:
            out.append((key, ARMS[key]))
            continue
        from rdkit import Chem

        if Chem.MolFromSmiles(key) is None:
            import difflib

            hint = difflib.get_close_matches(key, ARMS, n=1)
            raise EnumerationError(
                f"unknown arm {a!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" (known: {', '.join(ARMS)}; or give the arm as SMILES, attached through its "
                "first atom)")
        out.append((key, key))
    if not out:
        raise EnumerationError("give at least one arm")
    return out


def iter_ligands(scaffold: str, arms: Sequence[str], *, min_donors: int = 2
                 ) -> Iterator[dict[str, object]]:
    """Yield the distinct, checked molecules of one scaffold × arms, in a fixed order."""
    from rdkit import Chem, RDLogger

    from chelscreen.chem.donors import n_donors

    if scaffold not in SCAFFOLDS:
        import difflib

        hint = difflib.get_close_matches(scaffold, SCAFFOLDS, n=1)
        raise EnumerationError(f"unknown scaffold {scaffold!r}"
                               + (f"; did you mean {hint[0]!r}?" if hint else "")
                               + f" (known: {', '.join(SCAFFOLDS)})")
    tpl, k = SCAFFOLDS[scaffold]
    arm_list = _arm_smiles(arms)
    seen: set[str] = set()
    RDLogger.DisableLog("rdApp.*")
    try:
        for combo in itertools.product(arm_list, repeat=k):
            smi = tpl.format(*(s for _, s in combo)).replace("([H])", "")
            mol = Chem.MolFromSmiles(smi)
            if mol is None:
                continue
            can = Chem.MolToSmiles(mol)
            if can in seen:
                continue
            seen.add(can)
            if Chem.GetFormalCharge(mol) != 0:
                continue
            n_don = n_donors(mol)
            if n_don < min_donors:
                continue
            yield {"smiles": can, "scaffold": scaffold,
                   "arms": ";".join(name for name, _ in combo), "n_donors": n_don}
    finally:
        RDLogger.EnableLog("rdApp.*")


def enumerate_ligands(scaffolds: str | Iterable[str], arms: Sequence[str], *,
                      max_n: int | None = None, min_donors: int = 2) -> pd.DataFrame:
    """Distinct chelators from scaffolds × arms, round-robin over scaffolds.

    Parameters
    ----------
    scaffolds : str or iterable of str
        Names from :data:`SCAFFOLDS` (``'cyclen'``, ``'tacn'``, ``'diaza18c6'`` ...).
    arms : sequence of str
        Names from :data:`ARMS` or arm SMILES attached through their first atom.
    max_n : int, optional
        Stop after this many molecules.
    min_donors : int
        Minimum number of perceived donor atoms (default 2).

    Returns
    -------
    DataFrame
        ``id, smiles, scaffold, arms, n_donors`` (ids ``ENUM000001`` ...), one row per distinct
        molecule.

    Examples
    --------
    >>> enumerate_ligands(["tacn", "cyclen"], ["acetate", "picolinate"], max_n=5)["scaffold"].tolist()
    ['tacn', 'cyclen', 'tacn', 'cyclen', 'tacn']
    """
    names = [scaffolds] if isinstance(scaffolds, str) else list(scaffolds)
    if not names:
        raise EnumerationError("give at least one scaffold")
    gens = [iter_ligands(s, arms, min_donors=min_donors) for s in names]
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for batch in itertools.zip_longest(*gens):
        for row in batch:
            if row is None or row["smiles"] in seen:
                continue
            seen.add(row["smiles"])
            rows.append(row)
            if max_n is not None and len(rows) >= max_n:
                break
        if max_n is not None and len(rows) >= max_n:
            break
    df = pd.DataFrame(rows, columns=["smiles", "scaffold", "arms", "n_donors"])
    df.insert(0, "id", [f"ENUM{i + 1:06d}" for i in range(len(df))])
    return df
