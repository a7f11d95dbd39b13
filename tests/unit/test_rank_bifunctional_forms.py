"""A bifunctional form of a chelator is ranked with that chelator (issue 11: conjugates and
bifunctional forms must not crowd cores out of the top).

p-SCN-Bn-NOTA is NOTA with an isothiocyanatobenzyl handle on the ring: the same chelator made
ready for a vector. Before, it took its own rank (⁶⁴Cu: 3rd, pushing CB-TE2A, a chelator the
Cu literature recommends, to 4th; ²¹²Pb: p-SCN-Bn-DOTA 2nd, DOTAM 3rd). A C-substituted
backbone that stays when the handle goes (CHX-A''-DTPA's cyclohexane, 1B4M-DTPA's methyl) is
part of the chelator: those keep their own rank.
"""

from __future__ import annotations

import pandas as pd

from chelscreen.rank import ligand_key, parent_key, strip_handle
from chelscreen.screening import screen

NOTA = "O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CC1"
BN_NOTA = "O=C(O)CN1CCN(CC(=O)O)C[C@H](Cc2ccc(N=C=S)cc2)N(CC(=O)O)CC1"
DTPA = "O=C(O)CN(CCN(CC(=O)O)CC(=O)O)CCN(CC(=O)O)CC(=O)O"
MX_DTPA = "CC(CN(CC(=O)O)CC(Cc1ccc(cc1)N=C=S)N(CC(=O)O)CC(=O)O)N(CC(=O)O)CC(=O)O"
CHX = "O=C(O)CN(CC(=O)O)C1CCCCC1N(CC(=O)O)CC(Cc1ccc(cc1)N=C=S)N(CC(=O)O)CC(=O)O"
# a handle-free macrocycle with the same counts as p-SCN-Bn-NOTA's core: nothing to strip
CYCLAM = "C1CNCCNCCCNCCNC1"


def test_strip_handle_removes_the_donor_free_side_chain_only() -> None:
    assert ligand_key(strip_handle(BN_NOTA)) == ligand_key(NOTA)
    assert parent_key(BN_NOTA, BN_NOTA) == ligand_key(NOTA)
    # the backbone methyl / cyclohexane stay: not DTPA
    assert strip_handle(MX_DTPA) and ligand_key(strip_handle(MX_DTPA)) != ligand_key(DTPA)
    assert strip_handle(CHX) and ligand_key(strip_handle(CHX)) != ligand_key(DTPA)
    assert strip_handle(NOTA) == "" and strip_handle(CYCLAM) == ""
    assert parent_key(NOTA, NOTA) == ""


def test_a_bifunctional_form_shares_its_chelators_rank() -> None:
    lib = pd.DataFrame({"name": ["NOTA", "p-SCN-Bn-NOTA", "DTPA", "1B4M-DTPA"],
                        "smiles": [NOTA, BN_NOTA, DTPA, MX_DTPA]})
    res = screen(lib, ["Cu-64"], out=None, progress=False, report=False)
    by = res.set_index("chelator")
    assert by.loc["p-SCN-Bn-NOTA", "ranked_with"] == "NOTA"
    assert by.loc["p-SCN-Bn-NOTA", "rank"] == by.loc["NOTA", "rank"]
    assert str(by.loc["p-SCN-Bn-NOTA", "why"]).startswith("bifunctional form of NOTA")
    # three chelators compete (NOTA, DTPA, 1B4M-DTPA): ranks 1..3, each once
    own = res[res["ranked_with"].fillna("") == ""]
    assert sorted(own["rank"].astype(int)) == [1, 2, 3]
    assert by.loc["1B4M-DTPA", "ranked_with"] == ""
    assert "p-SCN-Bn-NOTA" not in str(by.loc["DTPA", "tied_with"])
