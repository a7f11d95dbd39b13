"""The array prefilter of close cores (rank._may_be_close) drops only pairs close_core rejects.

close_core_constant and evidence_summary test close_core only on the candidates the prefilter
keeps: a prefilter that rejected a close pair would change the screen's results.
"""

import numpy as np

from chelscreen import rank
from chelscreen.io import load_library


def _smiles() -> list[str]:
    lib = load_library()
    smi = [s for s in lib["smiles"].astype(str) if s and s != "nan"]
    return list(dict.fromkeys(smi))[:80]


def test_prefilter_keeps_every_close_pair():
    smiles = _smiles()
    arrays = rank._core_arrays(tuple(smiles))
    n_close = 0
    for a in smiles:
        maybe = rank._may_be_close(a, arrays)
        close = np.array([rank.close_core(a, b) for b in smiles])
        assert not (close & ~maybe).any(), a
        n_close += int(close.sum())
    assert n_close > 0  # the library holds close cores (e.g. DTPA and its C-substituted kin)
    # and the prefilter does reject pairs (otherwise it saves nothing)
    assert sum((~rank._may_be_close(a, arrays)).sum() for a in smiles) > len(smiles)


def test_close_core_constant_unchanged_by_prefilter():
    """The first close core found is the one an unfiltered scan in the same order finds."""
    known = rank._known_by_metal()
    for metal in ("Cu2+", "Lu3+", "Ga3+"):
        cands, values, _sources, counts = known[metal]
        for smi in _smiles()[:30]:
            c = np.asarray(rank._element_counts(smi), dtype=float)
            if c[0] >= 10**6:
                continue
            heavy = counts[:, 0]
            order = np.argsort(np.abs(heavy - c[0]), kind="stable")
            ok = (heavy >= 0.5 * c[0]) & (heavy <= 2.0 * c[0])
            expect = next((float(values[i]) for i in order
                           if ok[i] and cands[i] != smi and rank.close_core(smi, cands[i])), None)
            hit = rank.close_core_constant(smi, metal)
            assert (hit[0] if hit else None) == expect, (smi, metal)
