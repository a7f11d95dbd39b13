"""The structural search for a conjugate's chelating core runs once per set of chelators
(code review M6): not once per radionuclide, and not again in the second ranking pass."""

from __future__ import annotations

import pandas as pd

from chelscreen import rank

HBEDCC = "O=C(O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)O)ccc2O)CC(=O)O)c1"
PSMA11 = ("O=C(O)CCc1ccc(O)c(CN(CCN(CC(=O)O)Cc2cc(CCC(=O)NCCCCCC(=O)NCCCC[C@H](NC(=O)N"
          "[C@@H](CCC(=O)O)C(=O)O)C(=O)O)ccc2O)CC(=O)O)c1")
EDTA = "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O"
DTPA = "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CCN(CC(=O)O)CC(=O)O"


def _frame() -> pd.DataFrame:
    rows = []
    for nuc in ("Ga-68", "In-111", "Lu-177"):
        for name, smi, parent in (("HBED-CC", HBEDCC, ""), ("EDTA", EDTA, ""),
                                  ("DTPA", DTPA, ""), ("PSMA-11", PSMA11, "PARENT")):
            rows.append({"chelator": name, "smiles": smi, "radionuclide": nuc, "score": 0.5,
                         "ligand_key": rank.ligand_key(smi), "ligand_parent_key": parent})
    return pd.DataFrame(rows)


def test_core_search_runs_once_for_all_radionuclides_and_both_passes(monkeypatch) -> None:
    calls: list[tuple[str, str]] = []
    real = rank._is_core_of

    def counting(conjugate: str, chelator: str) -> bool:
        calls.append((conjugate, chelator))
        return real(conjugate, chelator)

    monkeypatch.setattr(rank, "_is_core_of", counting)
    rank._HEADS_MEMO.clear()
    df = _frame()
    first = rank.core_representatives(df)
    n_first = len(calls)
    second = rank.core_representatives(df)
    assert list(first) == list(second)
    # PSMA-11 is ranked with HBED-CC for every radionuclide
    assert [first[i] for i in range(3, 12, 4)] == [0, 4, 8]
    # one test per candidate chelator, for the three radionuclides together; none again
    assert 0 < n_first <= 3 and len(calls) == n_first
    assert len(set(calls)) == len(calls)
