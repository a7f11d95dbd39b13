"""One Y-90 DOTA row as ``score_pairs`` receives it, shared by the ranking evidence tests."""

DOTA = "O=C(O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1"
ROW = {"metal": "Y3+", "radionuclide": "Y-90", "status": "ok", "cn_preferred": 8,
       "r_ionic_pm": 101.9, "log_beta1_hydrolysis": -7.7, "released_alpha_energy_frac": 0.0,
       "ion_pauling_en": 1.22, "log_alphaL_pH7_4": 8.0, "logK_pred": 24.0, "logK_sd": 2.0,
       "topology": "macrocycle", "n_donors": 8, "ring_donors": 4, "cavity_radius_pm": 38.3,
       "preorganization_code": 2, "n_donor_O": 4, "n_donor_amide_O": 0,
       "chelator": "DOTA", "smiles": DOTA}
