"""Local worker processes are warmed once before their first unit (loky's memory check).

loky measures a worker's memory after its first task and restarts a worker that grew by more
than 300 MB since. The screen's workers used to run a ``read_ligands`` chunk first, so the
stability model loaded by their first unit counted as growth and every worker was restarted
once (imports and model load paid again). The screen now passes an initializer that loads
everything before the first unit.
"""

from __future__ import annotations

import os

import pandas as pd

from chelscreen._parallel import imap_unordered
from chelscreen.screening import _UnitPayloads, _warm_worker
from tests.work_units import remember, warmed_unit


def test_initializer_runs_in_every_local_worker_before_its_tasks():
    payloads = [{"unit": u} for u in range(6)]
    got = [r for _, r in imap_unordered(warmed_unit, payloads, n_jobs=2,
                                        initializer=remember, initargs=("ready",))]
    assert len(got) == 6
    # each task ran in a process whose initializer had already run (same pid), not the parent
    assert all(v == "ready" and pid == now for v, pid, now in got)
    assert os.getpid() not in {now for _, _, now in got}


def test_warmup_payload_is_the_first_valid_chelator():
    ligs = pd.DataFrame({"_lig_idx": [0, 1, 2], "id": ["a", "b", "c"],
                         "chelator": ["bad", "NTA", "EDTA"], "smiles": ["", "x", "y"],
                         "core_smiles": ["", "", ""], "status": ["invalid", "ok", "ok"],
                         "message": ["", "", ""]})
    p = _UnitPayloads(ligs, 2, {"job": "j", "radionuclides": ["Lu-177"], "labeling": False},
                      set()).warmup()
    assert p["ligands"]["chelator"] == ["NTA"] and p["unit"] == -1
    assert p["radionuclides"] == ["Lu-177"]


def test_warm_worker_never_raises():
    # a payload the unit cannot score: the warm-up logs and returns (the units report errors)
    assert _warm_worker({"ligands": {"smiles": ["C"]}, "radionuclides": ["Lu-177"]}) is None


def test_a_worker_with_the_parents_handover_imports_no_decay_data():
    # the parent computes what every worker used to compute for itself (models, tables,
    # half-lives, calibration); a fresh worker process then never imports radioactivedecay
    # and sympy (≈ 1.3 CPU-s each), and its units give the same rows (tests/reliability)
    import multiprocessing

    from chelscreen.screening import _read_input, worker_handover
    from tests.work_units import warm_and_list_decay_modules

    nuclides = ["Ac-225", "Lu-177", "Ga-68"]
    ligs = _read_input(["OC(=O)CN1CCN(CC(O)=O)CCN(CC(O)=O)CCN(CC(O)=O)CC1"], 1)
    payload = _UnitPayloads(ligs, 1, {"job": "j", "radionuclides": nuclides, "labeling": True,
                                      **worker_handover(nuclides)}, set()).warmup()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        rd_loaded, sympy_loaded = pool.apply(warm_and_list_decay_modules, (payload,))
    assert not rd_loaded and not sympy_loaded
