"""The screen's shared, per-ligand computations give what the per-pair ones give.

Each speed-up of the screen (issue 16) computes once per ligand (or per element, or per
block) what was computed per pair; these tests compare each with the plain per-pair
computation it replaced, on the bundled library's chelators.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from chelscreen import radiolabeling as lab
from chelscreen import rank
from chelscreen.chem.standardize import inchikey_block1, neutral_mol
from chelscreen.io import load_library

METALS = ["Ac3+", "Lu3+", "Cu2+", "Ga3+", "Pb2+", "Xx9+", "Cu2+"]


def _smiles(n: int = 60) -> list[str]:
    lib = load_library()
    smi = [s for s in lib["smiles"].astype(str) if s and s != "nan"]
    return list(dict.fromkeys(smi))[:n]


def test_close_core_constants_match_one_metal_at_a_time():
    """All metals at once (one prefilter over their candidates, a metal twice, an unknown
    metal) give each metal's own scan: the close core nearest in size, or None."""
    known = rank._known_by_metal()
    found = 0
    for smi in _smiles(40):
        got = rank.close_core_constants(smi, METALS)
        c = np.asarray(rank._element_counts(smi), dtype=float)
        for metal, hit in zip(METALS, got):
            expect = None
            if metal in known and c[0] < 10**6:
                cands, values, sources, _counts = known[metal]
                heavy = np.array([rank._element_counts(x)[0] for x in cands], dtype=float)
                ok = (heavy >= 0.5 * c[0]) & (heavy <= 2.0 * c[0])
                for i in np.argsort(np.abs(heavy - c[0]), kind="stable"):
                    if ok[i] and cands[i] != smi and rank.close_core(smi, cands[i]):
                        expect = (float(values[i]), sources[i], cands[i])
                        break
            assert hit == expect, (smi, metal)
            found += hit is not None
    assert found  # the library holds close cores with measured constants (e.g. DTPA kin)


def test_shared_assess_context_gives_each_pairs_own_answer():
    tab = lab._default_arrays()
    model = lab.fitted_model()
    ctx = lab.AssessContext(tab, model.trained_elements_)
    nuclides = [lab.parse_nuclide(n) for n in ("Ac-225", "Ga-68", "Lu-177", "Cu-64", "Pb-212")]
    bases = set()
    for smi in _smiles(30):
        sims = lab.table_similarity(smi, tab)
        for nuc, p in zip(nuclides, (0.2, 0.8, float("nan"), 0.55, 0.5)):
            shared = lab.assess(smi, nuc, p, sims, tab, model.trained_elements_, context=ctx)
            alone = lab.assess(smi, nuc, p, sims, tab, model.trained_elements_)
            assert shared == alone or _same(shared, alone), (smi, nuc.nuclide)
            bases.add(alone["labeling_basis"])
    assert {"precedent", "model"} <= bases


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (x == y) or (isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y))
        for x, y in ((a[k], b[k]) for k in a))


def test_table_similarity_prefilter_keeps_every_containment():
    tab = lab._default_arrays()
    raised = 0
    for smi in _smiles(60):
        got = lab.table_similarity(smi, tab)
        plain = lab.table_similarity(smi, tab, containment=False)
        expect = plain.copy()
        for k, core in enumerate(tab.uniq_smiles):
            rows = tab.uniq_of_row == k
            if tab.uniq_ok[k] and plain[rows][0] < lab.CLOSE_SIMILARITY and \
                    lab.skeleton_containment(smi, core):
                expect[rows] = lab.CLOSE_SIMILARITY
        assert np.array_equal(got, expect), smi
        raised += int((got > plain).any())
    assert raised  # some library chelators share a donor skeleton with a table core


def test_feature_matrix_per_ligand_terms_equal_pair_features():
    elements = ["Ac", "Ga", "Lu", "Cu", "Pb", "Bi"]
    names = lab.CANDIDATE_FEATURES
    for smi in _smiles(20):
        X = lab.feature_matrix([smi] * len(elements), elements, names)
        for row, el in zip(X, elements):
            f = lab.pair_features(smi, el)
            expect = np.array([f.get(n, lab.REFERENCE_CONDITIONS.get(n)) for n in names],
                              dtype=float)
            assert np.array_equal(row, expect, equal_nan=True), (smi, el)


def test_core_key_of_an_uncharged_smiles_is_its_ligand_key():
    for smi in _smiles(60) + ["[O-]C(=O)CN(CC(=O)[O-])CC(=O)O", "C[N+](C)(C)CC(=O)O"]:
        assert lab.core_key.__wrapped__(smi) == inchikey_block1(neutral_mol(smi)), smi


def test_pair_streams_follow_the_hash_rule():
    """Each key's draws: the exact normal quantiles permuted by (a·j + b) mod n with a, b from
    its blake2b digest (the per-key loop the array code replaced)."""
    keys = [f"{s}|Lu-177" for s in _smiles(50)] + ["", "x|y"]
    for n in (401, 13):
        base = rank._base_normals(n)
        got = rank._pair_streams(keys, "labeling", n)
        for i, k in enumerate(keys):
            v = int.from_bytes(hashlib.blake2b(f"labeling|{k}".encode(),
                                               digest_size=8).digest(), "little")
            a, b = 1 + v % (n - 1), (v // (n - 1)) % n
            assert np.array_equal(got[i], base[(a * np.arange(n) + b) % n]), (k, n)


def test_report_records_of_parts_equal_each_parts_records():
    from chelscreen.reporting import _records_of

    df = pd.DataFrame({"a": pd.array([1, None, 3, 4], dtype="Int64"),
                       "b": [1.5, np.nan, 2.0, 0.1], "c": ["x", None, "z", "w"],
                       "d": [True, None, False, True]})
    parts = [df.iloc[[0, 1]], df.iloc[[]], df.iloc[[3]], df.iloc[[2, 0]]]
    got = _records_of(parts)
    assert got == [p.to_dict("records") for p in parts] or all(
        len(x) == len(y) and all(_same(r, s) for r, s in zip(x, y))
        for x, y in zip(got, [p.to_dict("records") for p in parts]))
    assert _records_of([df.iloc[[]]]) == [[]]


def test_shared_mol_gives_the_features_of_a_fresh_parse():
    """One read-only Mol per SMILES (chem.descriptors.mol_of_smiles) is shared by the chem
    descriptors, the stability model's ligand features and the structure terms; each gives
    what it gives on a Mol of its own, in either order of the callers."""
    from rdkit import Chem

    from chelscreen.chem import descriptors as desc
    from chelscreen.model import features as mf
    from chelscreen.screening import _ligand_structure

    smi = _smiles(30)
    desc.mol_of_smiles.cache_clear()
    desc.ligand_features_of_smiles.cache_clear()
    frame = mf.ligand_feature_frame(smi)  # the model first: it fills the shared Mols' caches
    for s in smi:
        mol = desc.mol_of_smiles(s)
        assert mol is desc.mol_of_smiles(s)
        assert desc.ligand_features_of_smiles(s) == desc.ligand_features(Chem.MolFromSmiles(s))
        fresh = mf.ligand_features(Chem.MolFromSmiles(s), s)
        row = frame.loc[s]
        assert all(row[k] == v or (v != v and row[k] != row[k]) for k, v in fresh.items())
        assert hasattr(mol, "_chelscreen_unit")  # the donor analysis is held for all callers
    desc.mol_of_smiles.cache_clear()
    desc.ligand_features_of_smiles.cache_clear()
    before = [_ligand_structure(s) for s in smi]  # now the structure terms first
    again = mf.ligand_feature_frame(smi)
    pd.testing.assert_frame_equal(frame, again)
    desc.mol_of_smiles.cache_clear()
    assert [_ligand_structure(s) for s in smi] == before


def test_thread_limits_reuses_one_controller_until_a_module_is_imported():
    import sys
    import types

    import sklearn.ensemble  # noqa: F401 - an OpenMP runtime to limit
    from threadpoolctl import threadpool_info

    from chelscreen import _parallel

    def openmp_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]

    start = openmp_threads()
    assert start
    with _parallel.thread_limits(2):  # a known setting to come back to (OMP_NUM_THREADS=1)
        assert set(openmp_threads()) == {2}
        first = _parallel._CONTROLLER[1]
        with _parallel.thread_limits(1, user_api="openmp"):
            assert set(openmp_threads()) == {1}
        assert set(openmp_threads()) == {2}
        assert _parallel._CONTROLLER[1] is first  # nothing imported since: the same controller
        sys.modules["chelscreen_test_new_module"] = types.ModuleType("chelscreen_test_new_module")
        try:
            with _parallel.thread_limits(1):
                assert set(openmp_threads()) == {1}
            assert _parallel._CONTROLLER[1] is not first  # an import: libraries looked up again
        finally:
            del sys.modules["chelscreen_test_new_module"]
        assert set(openmp_threads()) == {2}
    assert openmp_threads() == start


def test_ligand_keys_counts_and_fingerprints_read_the_shared_mol(monkeypatch):
    """A work unit's per-ligand keys, element counts, fingerprints and neutral forms read the
    shared Mol of :func:`chelscreen.chem.descriptors.mol_of_smiles` (no second parse of the
    SMILES) and give what a fresh parse gives."""
    from rdkit import Chem

    from chelscreen.chem import descriptors as desc
    from chelscreen.chem import standardize as std
    from chelscreen.model import domain
    from chelscreen.model.features import similarity_fp
    from chelscreen.screening import _pka_key

    smi = _smiles(30) + ["[O-]C(=O)CN(CC(=O)[O-])CC(=O)O"]

    def fresh(s: str) -> dict:
        mol = Chem.MolFromSmiles(s)
        neutral = Chem.RWMol(mol)
        if std._neutralize(neutral):
            Chem.SanitizeMol(neutral)
        sym = [a.GetSymbol() for a in mol.GetAtoms() if a.GetAtomicNum() > 1]
        return {"key": inchikey_block1(mol), "pka": Chem.MolToSmiles(mol, isomericSmiles=False),
                "counts": (len(sym), *(sym.count(e) for e in "NOSP")),
                "neutral": Chem.MolToSmiles(neutral),
                "fp": similarity_fp(mol)}

    expect = {s: fresh(s) for s in smi}
    cached = (rank.ligand_key, _pka_key, rank._element_counts, lab._fingerprints, neutral_mol)
    for f in cached:
        f.cache_clear()
    desc.mol_of_smiles.cache_clear()
    for s in smi:
        assert desc.mol_of_smiles(s) is not None
    parses = []
    real = Chem.MolFromSmiles
    monkeypatch.setattr(Chem, "MolFromSmiles", lambda *a, **k: parses.append(a) or real(*a, **k))
    for s in smi:
        e = expect[s]
        assert rank.ligand_key(s) == e["key"], s
        assert _pka_key(s) == e["pka"], s
        assert rank._element_counts(s) == e["counts"], s
        assert Chem.MolToSmiles(neutral_mol(s)) == e["neutral"], s
        assert lab._fingerprints(s) is not None, s
        fp = domain.fingerprints([s])[0]
        assert list(fp.GetOnBits()) == list(e["fp"].GetOnBits()), s
    assert parses == []  # every SMILES was parsed once, by mol_of_smiles
    for f in cached:
        f.cache_clear()


_SCREEN_RUN = """
import json, sys
import chelscreen
from chelscreen import decay
decay.USE_PRECOMPUTED = {use!r}
smi = {smiles!r}
chelscreen.screen(smi, None, out={out!r}, progress=False, load=False)
print(json.dumps(sorted(m for m in ("radioactivedecay", "sympy") if m in sys.modules)))
"""


def test_screen_outputs_with_precomputed_decay_terms_equal_the_live_ones(tmp_path):
    """A screen (therapy set, report on) that reads the precomputed decay terms
    (``chelscreen/data/nuclide_terms.json``: daughter terms, half-lives, nuclide names, the
    report's chains and dose sentences) writes the same results.parquet (column by column,
    dtypes, row order), results.csv and top.sdf byte for byte, and report.html but for its
    time stamp, as the same screen with every decay term computed live by radioactivedecay
    (the code before), and imports neither radioactivedecay nor sympy."""
    import json
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    smiles = ["OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",  # DOTA: DOTA-type dose class
              "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1",
              "OC(=O)c1cccc(CN2CCOCCOCCN(Cc3cccc(C(=O)O)n3)CCOCCOCC2)n1",
              "OC(=O)CN(CC(=O)O)CCN(CC(=O)O)CC(=O)O",
              "OC(=O)CN1CCN(CC(=O)NCCCC(=O)NCC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1", "not a smiles"]
    imported = {}
    for use in (True, False):
        out = tmp_path / f"precomputed-{use}"
        res = subprocess.run([sys.executable, "-c", _SCREEN_RUN.format(
            use=use, smiles=smiles, out=str(out))], capture_output=True, text=True, cwd=root,
            timeout=900)
        assert res.returncode == 0, res.stderr[-3000:]
        imported[use] = json.loads(res.stdout.strip().splitlines()[-1])
    a, b = tmp_path / "precomputed-True", tmp_path / "precomputed-False"
    pa, pb = pd.read_parquet(a / "results.parquet"), pd.read_parquet(b / "results.parquet")
    assert list(pa.columns) == list(pb.columns) and (pa.dtypes == pb.dtypes).all()
    assert [c for c in pa.columns if not pa[c].equals(pb[c])] == []
    for name in ("results.csv", "top.sdf"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    def html(p):
        return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC)?", "<time>",
                      (p / "report.html").read_text())

    assert html(a) == html(b)
    assert "radioactivedecay" in imported[False]  # the live run did compute them
    assert imported[True] == []
