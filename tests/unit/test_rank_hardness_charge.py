"""The HSAB hardness in the structural inertness estimate counts the ion's charge (issue 11).

The EN-only index made Th⁴⁺ (EN 1.3) softer than La³⁺ or Ac³⁺ (EN 1.1), so an all-O donor set
gained less for Th⁴⁺ than for a lanthanide; the preference of a hard ion for hard donors is
electrostatic and grows with the charge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chelscreen import rank


def test_tetravalent_ions_are_harder_than_trivalent_of_lower_en():
    h = rank.ion_hardness_index([1.30, 1.10, 1.33, 1.90, 0.90], [4, 3, 4, 2, 2])
    th, la, zr, cu, ra = h
    assert th > la and zr > la
    # a trivalent ion keeps its EN-based value; a divalent one is scaled down
    assert la == rank.ion_hardness_index([1.10])[0]
    assert cu < rank.ion_hardness_index([1.90])[0]
    assert ra < 1.0
    assert np.all((h >= 0) & (h <= 1))


def test_unknown_charge_falls_back_to_en():
    assert rank.ion_hardness_index([1.3], [np.nan])[0] == rank.ion_hardness_index([1.3])[0]


def test_all_oxygen_donor_set_gains_more_for_th_than_for_la():
    """hard_match of an O8 ligand rises with the ion's charge; an N4O4 set (f_O 0.5) is 0.5
    whatever the ion."""
    df = pd.DataFrame({"metal": ["Th4+", "La3+", "Th4+"], "ion_pauling_en": [1.30, 1.10, 1.30],
                       "n_donors": [8, 8, 8], "n_donor_O": [8, 8, 4], "n_donor_amide_O": [0, 0, 0],
                       "topology": ["acyclic", "acyclic", "macrocycle"]})
    hm = rank.inertness_features(df)["hard_match"].to_numpy()
    assert hm[0] > hm[1] > 0.5
    assert abs(hm[2] - 0.5) < 1e-12
    assert rank.ion_charges(df).tolist() == [4.0, 3.0, 4.0]
