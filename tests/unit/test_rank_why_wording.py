"""Wording of the `why` sentence (review session 3, L1, L3, L7)."""

from __future__ import annotations

from chelscreen.rank import why_sentence

BASE = {"status": "ok", "metal": "Pb2+", "topology": "macrocycle", "n_donors": 8,
        "ring_donors": 4, "macrocycle_ring_size": 12, "cn_preferred": 8}


def test_a_large_ion_above_a_small_ring_is_not_called_mismatched():
    # DOTAM/Pb-212, the clinical pair, read "whose cavity is mismatched to Pb2+ (Δr 31 pm)"
    text = why_sentence({**BASE, "cavity_mismatch_pm": 31.0, "r_ionic_pm": 129.0,
                         "cavity_radius_pm": 98.0})
    assert "mismatched" not in text and "above the ring plane" in text
    # a small ion in a too-large ring is still a mismatch
    text = why_sentence({**BASE, "cavity_mismatch_pm": 31.0, "r_ionic_pm": 60.0,
                         "cavity_radius_pm": 91.0, "macrocycle_ring_size": 18})
    assert "is mismatched to" in text


def test_one_alpha_per_decay_is_not_printed_as_1_00():
    text = why_sentence({**BASE, "alphas_per_decay": 0.99999999999899,
                         "released_alpha_energy_frac": 0.53})
    assert "1 α per decay" in text and "1.00 α" not in text
    assert "0.36 α per decay" in why_sentence({**BASE, "alphas_per_decay": 0.3594})


def test_a_nuclide_without_alpha_daughters_says_so():
    text = why_sentence({**BASE, "metal": "In3+", "alphas_per_decay": 0.0})
    assert text.endswith("no α-emitting daughters")
