"""Ion models validated on water: first-shell M-O distance and CN of each aqua ion in TIP3P.

For every radiometal ion the simulations support (and La3+, Tb3+ as analogues),
prints: ion, parameter source, simulated vs reference M-O distance and coordination number, and
whether each is within tolerance (distance +/- 0.05 A; CN +/- max(1, reference uncertainty)).
The simulated distance is the mean M-O distance of the first-shell waters (what EXAFS reports).
Two models per ion: the Li/Merz 12-6 HFE set (what the implicit protocols use; the plain
baseline) and the bundled 12-6-4 set (``chelscreen/simulate/data/ion_1264.csv``) used by the
explicit protocol.

How the 12-6-4 set is made (``--fit``), a stated method:

1. C4 (ion-water O, TIP3P) = ParmEd's published value (``parmed/tools/add1264.py``,
   ``DEFAULT_C4_PARAMS['TIP3P']``, Li & Merz) where one exists; otherwise (Ac3+, Bi3+, Pb2+,
   Ra2+, Sc3+, Ga3+) the C4 of the same-charge ion with a published C4 whose *reference* M-O
   distance is closest (Ac3+, Bi3+ <- La3+; Sc3+, Ga3+ <- In3+; Pb2+ <- Sr2+; Ra2+ <- Ba2+);
2. epsilon follows Rmin/2 on the Li/Merz 12-6 HFE curve of the same charge
   (ln eps = c + d Rmin/2, least squares over the ions with a published set; clamped);
3. Rmin/2 is solved for the reference M-O distance by secant iterations on short runs
   (2 ps + 6 ps; start: 12-6 HFE Rmin/2 + the 12-6 distance error; stop within 0.02 A;
   steps capped at 0.1 A since the C4 = 0 refits, the first fit's rows used uncapped steps);
4. the CN is not fitted in steps 1-3: it is the independent check. An ion whose model fails
   it is refitted with C4 = 0 (``--refit-c4-zero``; kept only if it passes: Ga3+), and if that
   is not enough, by a (C4, epsilon) grid (``--grid``, see ``GRID``): for every pair Rmin/2 is
   solved for the distance as in 3, each run is logged in
   ``benchmarks/results/sim_ion_grid.csv``, the pair is chosen by a stated rule
   (``select_from_grid``: distance within 0.03 A, CN within tolerance, smallest |CN - CN_ref|,
   then the C4 closest to the published/analogue one) and written only after it passes the
   normal 3 + 12 ps validation run with a new seed (``--apply-grid``). For these ions the CN
   is a fitting target, not an independent check (said in their ``c4_source``). For In3+
   (GRID_HFE_IONS, rule fixed 2026-12-03 before grid round 4) the HFE is a third criterion:
   ``--grid-hfe`` computes it for every pair that meets distance and CN, and only a pair within
   the HFE tolerance as well may replace the bundled model (``--cn-miss`` also shows the HFE of
   pairs that meet the distance but miss the CN, never selectable). Bi3+ (rule fixed 2026-12-03
   20:15 UTC, after its HFE reference was read and before its grid runs) passed distance and CN
   with the analogue C4 but failed the HFE; its grid (C4 500/700) uses the same three criteria,
   so for Bi3+ neither the CN nor the HFE is an independent check any more.
5. The hydration free energy (HFE) is not fitted; it is compared (``--hfe``): thermodynamic
   integration of the ion charge and C4 switched on together (5 Gauss-Legendre windows, 4/2 ps
   equilibration + 8 ps sampling each, exact dU/dlambda including the PME Wigner self term) in
   the same ~350-water box, plus Widom insertion of the neutral 12-6 sphere (20 ps of pure
   TIP3P, 200 frames x 500 points), plus the residual finite-size correction
   +Q^2 xi / (8 pi eps0 eps_s L) (Hummer, Pratt & Garcia, J. Phys. Chem. 1996, 100, 1206,
   doi:10.1021/jp951011v: "We apply corrections for these finite-size effects by using
   Ewald lattice summation and adding the self-interactions consistently"; eps_s = 78.5).
   Protocol check: the Li/Merz 12-6 HFE models of La3+, Lu3+, Th4+, which Li/Merz fitted to
   the same targets with their own TI protocol, run through this one. References: Li, Song &
   Merz 2015, Table 1 (PMC4306492); tolerance 3 % of |HFE_ref|, fixed before the runs. Method
   check (``--hfe-check``): 7 windows and another seed (HFE_CHECK_PLAN).
   The HFE verdict is written into ``water_check`` ("FAIL (HFE)" when only the HFE fails).
6. Gd3+, Zr4+ and Cu2+ (added 2026-12-03) follow steps 1-3 with their published C4.
   Cu2+ (Jahn-Teller) and Pb2+ (hemidirected) have non-spherical shells: a spherical ion is
   compared on the mean first-shell distance and CN only (``LIMITATIONS``).
7. Pb2+ (2026-12-05): no spherical set met distance and CN (step 4's grid), so the bundled Pb2+
   carries a lone-pair site (``LP_GRID``: the rule, written before its runs, the model form and
   the exploratory runs that chose it are stated there): ``--lp-grid`` solves Rmin/2 for 2.54 A
   per (site distance, C4) triple, ``--lp-hfe`` computes the HFE of the triples that meet
   distance and CN, ``--lp-apply`` validates the pick on two fresh seeds and bundles it. Its CN
   and HFE are grid criteria, not independent checks. In the explicit protocol the site meets
   water only (``chelscreen/simulate/explicit.py``, ``LP_WATER_ONLY``).

Runs: ~300 TIP3P waters (2.1 nm box), PME 0.9 nm, 300 K Langevin, 2 fs, no counter-ion;
validation 3 ps + 12 ps (frames every 0.1 ps). Short on purpose (2 shared CPU cores).

    nice -n 10 python benchmarks/validate_ions.py            # validate the bundled set
    nice -n 10 python benchmarks/validate_ions.py --fit      # refit, write ion_1264.csv, validate
    nice -n 10 python benchmarks/validate_ions.py --qwater   # q_water of Gd complexes vs measured q
    nice -n 10 python benchmarks/validate_ions.py --hfe      # hydration free energies (resumable)
    python benchmarks/validate_ions.py --hfe-table            # print the stored HFE table
    nice -n 10 python benchmarks/validate_ions.py --grid In3+,Pb2+        # (C4, eps) grid
    nice -n 10 python benchmarks/validate_ions.py --grid-hfe In3+ [--cn-miss]  # HFE of grid pairs
    nice -n 10 python benchmarks/validate_ions.py --apply-grid In3+,Pb2+  # pick, validate, write
    nice -n 10 python benchmarks/validate_ions.py --lp-grid | --lp-hfe | --lp-apply  # Pb2+ site
    python benchmarks/validate_ions.py --table                # print the stored table
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "sim_ion_validation.csv"
TABLE = REPO / "chelscreen" / "simulate" / "data" / "ion_1264.csv"
DIST_TOL_A = 0.05

# A reference whose DOI/PMID/PMC id could not be read is flagged by this prefix: it is shown, and
# its ion is counted outside the pass figures (tests/test_citations_simulate.py checks the flag).
NO_ID = "no identifier"
# Reference first-shell M-O distance (A), CN and its uncertainty; each read in this session.
REFERENCES = {
    "Ac3+": (2.59, 10.0, 0.9, "EXAFS (HCl) / L3-edge XAS (dilute HNO3)",
             "doi:10.1038/ncomms12312; doi:10.1039/c8sc02270d",
             "The Ac–Cl and Ac–OH2O distances are measured to be 2.95(3) and 2.59(3) Å, "
             "respectively. | actinide aquo ions, An(H2O)x3+ (x = 9.6 ± 0.7, 8.9 ± 0.8, and "
             "10.0 ± 0.9 for CmIII, AmIII, and AcIII)"),
    "Bi3+": (2.51, 9.0, 1.0, "QMCF-MD (ab initio)",
             f"{NO_ID}: Khan, Weiss, Uddin, Randolf, Rode & Hofer, J. Phys. Chem. A 2012 "
             "(QMCF-MD of Bi3+ in water; its DOI was not found with the search tools)",
             "In the first hydration shell, the ion is 9-fold coordinated with a maximum "
             "probability of the Bi−O distance at 2.51 Å."),
    "Pb2+": (2.54, 6.0, 1.0, "EXAFS + LAXS", "doi:10.1021/ic1017714",
             "The Pb-O bond distances found both by EXAFS and LAXS, 2.54(1) angstrom, point to "
             "a six-coordinate hydrated lead(II) ion in hemidirected fashion"),
    "Ra2+": (2.87, 9.2, 1.9, "EXAFS", "doi:10.1016/j.isci.2022.104763",
             "The EXAFS experiment showed that the coordination number and average distance "
             "between radium ion and the oxygen atoms in the first hydration shell are 9.2 ± 1.9 "
             "and 2.87 ± 0.06 Å, respectively."),
    "Ba2+": (2.79, 8.0, 1.9, "EXAFS (as tabulated in the Ra2+ paper, Table 2)",
             "doi:10.1016/j.isci.2022.104763",
             "Ba2+ | 2.79 ± 0.02 (Yamaguchi et al., 2021) | 8.0 ± 1.9 (Yamaguchi et al., 2021)"),
    "Sr2+": (2.64, 8.1, 0.1, "XRD and ND (as tabulated in the Ra2+ paper, Table 2)",
             "doi:10.1016/j.isci.2022.104763",
             "Sr2+ | 2.64 ± 0.01 (Yokoyama, 1995) | 8.1 ± 0.1 (Yokoyama, 1995)"),
    "Th4+": (2.45, 10.0, 1.0, "EXAFS", "doi:10.1107/S0909049500014643",
             "For the the uranium(IV) and thorium(IV) ions, the M-O distances 2.42(1) and "
             "2.45(1) Å, respectively, indicate hydration numbers close to 10."),
    "La3+": (2.563, 9.0, 1.0, "EXAFS (6 x 2.52 + 3 x 2.65 A, weighted mean)",
             "doi:10.1107/S0909049500014643",
             "the lanthanum(III) ion 6 + 3 water molecules at 2.52(2) and 2.65(3) Å, "
             "respectively"),
    "Tb3+": (2.409, 8.0, 1.0, "X-ray diffraction (3.2-3.6 m chloride)", "doi:10.1063/1.437866",
             "In each solution the rare earth ion has eight water nearest neighbors with the "
             "average RE3−H2O distances being 2.409, 2.396, 2.369, 2.358, and 2.338Å for TbCl3,"
             "DyCl3, ErCl3, TmCl3, and LuCl3,respectively."),
    "Lu3+": (2.338, 8.0, 1.0, "X-ray diffraction (3.2-3.6 m chloride)", "doi:10.1063/1.437866",
             "In each solution the rare earth ion has eight water nearest neighbors with the "
             "average RE3−H2O distances being 2.409, 2.396, 2.369, 2.358, and 2.338Å for TbCl3,"
             "DyCl3, ErCl3, TmCl3, and LuCl3,respectively."),
    "Y3+": (2.368, 8.0, 1.0, "EXAFS + LAXS", "doi:10.1021/jp992101t",
            "The yttrium(III) ion is found by means of extended X-ray absorption fine-structure "
            "spectroscopy (EXAFS) and large angle X-ray scattering (LAXS) to be hydrated by eight "
            "water molecules in aqueous solution. The EXAFS data show a slightly asymmetric "
            "distribution of the Y-O bond distances with the centroid of the distribution at "
            "2.368(5) Angstrom."),
    "Sc3+": (2.185, 8.0, 1.0, "EXAFS", "doi:10.1107/S0909049500014643",
             "The scandium(III) ion is surrounded by two groups of about eight water molecules, "
             "with the mean Sc-O distance 2.185(6) Å."),
    "Ga3+": (1.959, 6.0, 1.0, "LAXS + EXAFS", "doi:10.1021/ic980750y",
             "All three metal ions were found to coordinate six water molecules [...] The metal−"
             "oxygen bond distance in the first hydration sphere of the gallium(III), indium(III),"
             " and chromium(III) ions was determined by LAXS and EXAFS methods to be 1.959(6), "
             "2.131(7), and 1.966(8) Å."),
    "In3+": (2.131, 6.0, 1.0, "LAXS + EXAFS", "doi:10.1021/ic980750y",
             "All three metal ions were found to coordinate six water molecules [...] 1.959(6), "
             "2.131(7), and 1.966(8) Å."),
    # Gd3+: Li, Song & Merz's table of experimental targets (their refs), CN range 8.0-9.9 ->
    # reference CN = midpoint 8.95, uncertainty = half-range 0.95
    "Gd3+": (2.39, 8.95, 0.95, "experimental IOD/CN as tabulated by Li, Song & Merz 2015",
             "J. Phys. Chem. B 2015, 119, 883, Table 1 (PMC4306492)",
             "Gd3+ | [Xe]4f7 | –806.6 | 2.39 | 8.0–9.9 | 0.94 | 1.45"),
    "Zr4+": (2.187, 8.0, 1.0, "EXAFS (concentrated aqueous HClO4)", "PMID 15249950",
             "The structure of the hydrated zirconium(IV) and hafnium(IV) ions has been "
             "determined in concentrated aqueous perchloric acid by means of EXAFS, with both ions "
             "being eight-coordinated, most probably in square antiprismatic fashion, with mean "
             "Zr-O and Hf-O bond distances of 2.187(3) and 2.160(12) A, respectively."),
    # Cu2+: mean of the six Cu-O of Persson's EXAFS model (4 x 1.96 + 2.15 + 2.32)/6 = 2.045 A;
    # CN 5-6 (Frank et al.: square-pyramidal [Cu(H2O)5]2+ dominates) -> CN 5.5 +/- 0.5
    "Cu2+": (2.045, 5.5, 0.5, "EXAFS (mean of the 4 + 1 + 1 Cu-O model); CN 5-6",
             "PMID 32614569; doi:10.1063/1.4908266",
             "a Jahn-Teller distorted-octahedral model consisting of four strongly bound solvent "
             "molecules in the equatorial positions at 1.96(2) Å and two in the axial positions "
             "but with different Cu-Oax bond distances: ca. 2.15 and 2.32 Å. | axially elongated "
             "square pyramidal [Cu(H2O)5]2+ dominates the structure of Cu(II) in aqueous "
             "solution, rather than 6-coordinate JT-octahedral [Cu(H2O)6]2+."),
}
# ParmEd parmed/tools/add1264.py DEFAULT_C4_PARAMS['TIP3P'] (kcal/mol/A^4), read 2026-12-03
C4_PARMED_TIP3P = {"La3+": 152.0, "Lu3+": 249.0, "Th4+": 512.0, "Y3+": 216.0, "Gd3+": 198.0,
                   "Tb3+": 235.0, "Eu3+": 259.0, "In3+": 347.0, "Zr4+": 761.0, "Hf4+": 827.0,
                   "Sr2+": 82.7, "Ba2+": 71.9, "Ca2+": 87.3, "Cu2+": 290.9, "Mg2+": 132.9,
                   "Zn2+": 231.6, "Ni2+": 212.8, "Co2+": 209.7, "Fe3+": 428.0}
# Pb2+: the published hydration structures disagree; every source read is listed (the EXAFS/LAXS
# measurement is the one the model is checked against; none is picked because it passes).
# (method, CN, Pb-O in A or None, identifier or NO_ID flag, verbatim quote)
PB_SPREAD = [
    ("EXAFS + LAXS (measured)", "6", "2.54", "10.1021/ic1017714", REFERENCES["Pb2+"][5]),
    ("CPMD + EXAFS", "4 + 2-3 mobile (hemidirected)", None,
     f"{NO_ID}: CPMD + EXAFS study of Pb2+ hydration (abstract read on a publication index; "
     "title and DOI not found with the search tools)",
     "Our CPMD results show that the Pb2+ ion in water forms a hemidirected 4-fold cluster with "
     "a well-defined distorted pyramidal geometry. [...] the other side contains either two or "
     "three very mobile water molecules [...] A homodirected Pb2+ first shell complex like the "
     "8-fold SAP structure obtained from the classical MD simulations cannot be reconciled with "
     "the EXAFS experimental data."),
    ("CPMD (Car-Parrinello MD)", "7 (holodirected)", "2.70", "10.1002/chem.200600045",
     "We found that the hydrated cation is heptacoordinated in a dynamically holodirected "
     "arrangement roughly corresponding to a fluxional distorted pentagonal bipyramid. The "
     "time-averaged Pb-O bond length is especially large and amounts to 2.70 A with an "
     "associated root-mean-square deviation of 0.26 A."),
    ("HF QM/MM MD", "9", None,
     f"{NO_ID}: Hofer & Rode, J. Chem. Phys. 2004, no. 13, pp. 6406-6411 (DOI not found with the "
     "search tools)",
     "The first shell coordination number was found to be nine"),
    ("DFT clusters + PCM", "6-9 (coexisting)", None, "10.1007/s00894-018-3726-4",
     "because Pb(H2O)(n) (2+) complexes with six to nine water molecules have comparable "
     "thermodynamic stabilities, such complexes are likely to coexist in aqueous solutions"),
    ("HF/MP2 clusters", "6 (hemidirected)", None, "10.3390/liquids2010004",
     "The calculations support a hemidirected hexacoordinate structure."),
]
# Why that reference (stated with the table): fixed before any result, never re-chosen.
PB_REFERENCE_CHOICE = (
    "the EXAFS + LAXS measurement (doi:10.1021/ic1017714: CN 6, Pb-O 2.54 A) is the reference "
    "because it is the only measured structure among those read, and every ion is checked against "
    "a measurement where one was read; it was set in the script's first version (commit f72e4d3, "
    "2026-12-03 08:30 UTC), before the first validation run (commit 55d196b, 09:25 UTC), and the "
    "spherical model keeps its FAIL against it")
# radiometals without a reference read here: listed, not validated
NOT_VALIDATED = {"Ho3+": "no 12-6-4 model (not in the tool's nuclide table); 12-6 HFE only",
                 "Sm3+": "no 12-6-4 model (not in the tool's nuclide table); 12-6 HFE only"}
# Limitations stated with the ions whose aqua-ion structure a spherical ion cannot reproduce
LIMITATIONS = {
    "Cu2+": "Jahn-Teller: the real shell is 4 short + 1-2 long Cu-O; a spherical 12-6-4 ion "
            "gives one symmetric shell, so only the mean first-shell distance and CN are compared",
    "Pb2+": "hemidirected shell (stereoactive lone pair) in the reference: its 6 waters sit on one "
            "side and the lone pair keeps the other side empty. The measurement says so itself "
            "(doi:10.1021/ic1017714, abstract re-read 2026-12-04: 'EXAFS data on the hydrated "
            "lead(II) ion in aqueous solution show broad bond distance distribution and a lack of "
            "inner-core multiple scattering contributions strongly indicating a hemidirected "
            "structure'). A 12-6-4 ion is isotropic (every term depends on the M-O distance "
            "only), so at a given M-O distance waters fill the whole sphere as far as packing "
            "allows; nothing in it can leave a hemisphere empty (measured: the shell asymmetry "
            "below). CN 8 is what classical MD gives for Pb2+: the CPMD + EXAFS study (no "
            "identifier, PB_SPREAD) found that 'A homodirected Pb2+ first shell complex like the "
            "8-fold SAP structure obtained from the classical MD simulations cannot be reconciled "
            "with the EXAFS experimental data'. So a spherical ion can match the distance or the "
            "CN, not both (grid evidence below); no stated refit can fix it (it would need a "
            "directional term). That directional term is now in the bundled model (2026-12-05): a lone-pair "
            "site, a constrained LJ site 1.2 A from the ion that keeps waters off one side "
            "(LP_GRID: rule, grid, HFE and two validation seeds; --lp-grid prints it), which gives "
            "CN 6 at 2.54 A with shell asymmetry 0.34; the spherical grid evidence is kept as the "
            "reason for it",
    "Zr4+": "the aqua ion exists only in very strong acid (hydrolyses to the tetramer above); "
            "compared with the perchloric-acid EXAFS value",
}
# Measured inner-sphere water numbers (q) of Gd(III) complexes: the q_water check (never tuned on)
MICSKEI = (f"{NO_ID}: Micskei, Helm, Brücher & Merbach, Inorg. Chem. 1993, 32, 3844-3850 (17O NMR "
           "of [Gd(DTPA)(H2O)]2- and [Gd(DOTA)(H2O)]-; its DOI was not found with the search "
           "tools)")
Q_REFERENCES = {
    "DOTA": ("OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1", 1,
             MICSKEI,
             "In the first coordination sphere of these two monoaqua complexes there is only "
             "space for one water molecule"),
    "DTPA": ("OC(=O)CN(CCN(CC(=O)O)CC(=O)O)CCN(CC(=O)O)CC(=O)O", 1,
             MICSKEI,
             "In the first coordination sphere of these two monoaqua complexes there is only "
             "space for one water molecule"),
    "TETA": ("OC(=O)CN1CCCN(CC(=O)O)CCN(CC(=O)O)CCCN(CC(=O)O)CC1", 0,
             MICSKEI,
             "[Gd(TETA)]-, which has no water in the first coordination sphere"),
    "AAZTA": ("CC1(N(CC(=O)O)CC(=O)O)CN(CC(=O)O)CCN(CC(=O)O)C1", 2,
              "doi:10.1021/acs.inorgchem.1c03194 (PMID 34890182)",
              "the two water molecules bound to the metal center in the [Gd(AAZTA)(H2O)2]- "
              "complex"),
}
ORDER = ["Ac3+", "Bi3+", "Pb2+", "Ra2+", "Th4+", "Lu3+", "Y3+", "Sc3+", "Ga3+", "In3+", "Tb3+",
         "La3+", "Gd3+", "Zr4+", "Cu2+"]


def c4_for(ion: str) -> tuple[float, str]:
    if ion in C4_PARMED_TIP3P:
        return C4_PARMED_TIP3P[ion], "C4 ParmEd add1264 TIP3P (Li/Merz)"
    from chelscreen.simulate.params import get_ion_parameters

    q = get_ion_parameters(ion).charge
    r_ref = REFERENCES[ion][0]
    cands = [(abs(REFERENCES[o][0] - r_ref), o) for o in C4_PARMED_TIP3P
             if o in REFERENCES and get_ion_parameters(o).charge == q]
    _, src = min(cands)
    return C4_PARMED_TIP3P[src], f"C4 of {src} (same charge, closest reference M-O; ParmEd)"


def eps_for(ion: str, rmin2: float) -> float:
    from chelscreen.simulate.params import LJ_SETS, get_ion_parameters, registry

    q = get_ion_parameters(ion).charge
    _a, _b, c, d, lo, hi = registry()._lj_fit(q, LJ_SETS["hfe"])
    return math.exp(min(max(c + d * rmin2, lo), hi))


def model_for(ion: str, rmin2: float, c4: float, source: str):
    from chelscreen.simulate.hydration import IonModel, c4_to_openmm, rmin2_to_sigma_nm
    from chelscreen.simulate.params import get_ion_parameters

    p = get_ion_parameters(ion)
    return IonModel(ion, p.charge, rmin2_to_sigma_nm(rmin2), eps_for(ion, rmin2) * 4.184,
                    c4_to_openmm(c4), source)


def fit_ion(ion: str, r126: float, log: list, c4_zero: bool = False,
            start: float | None = None) -> dict:
    """Secant solve of Rmin/2 for the reference distance at fixed C4 (short runs)."""
    from chelscreen.simulate.hydration import simulate_aqua_ion
    from chelscreen.simulate.params import get_ion_parameters

    target = REFERENCES[ion][0]
    if c4_zero:
        c4, c4_src = 0.0, ("C4 = 0 (the published/analogue C4 failed the aqua-ion check; "
                           "refit as plain 12-6)")
    else:
        c4, c4_src = c4_for(ion)
    x0 = start if start is not None else (
        get_ion_parameters(ion).sigma_nm * 10 * 2 ** (1 / 6) / 2 + (target - r126))
    pts = []
    x = x0
    for it in range(5 if c4_zero else 4):
        r = simulate_aqua_ion(model_for(ion, x, c4, c4_src), equil_ps=2, prod_ps=6, seed=11 + it)
        pts.append((x, r["r_mean_A"]))
        log.append({"ion": ion, "iter": it, "rmin2_A": x, "r_mean_A": r["r_mean_A"],
                    "r_peak_A": r["r_peak_A"], "cn": r["cn_mean"], "wall_s": r["wall_s"]})
        print(f"  fit {ion} iter {it}: Rmin/2 {x:.3f} -> r {r['r_mean_A']:.3f} (target "
              f"{target:.3f}), CN {r['cn_mean']:.2f}", flush=True)
        if abs(r["r_mean_A"] - target) <= 0.02:
            break
        if len(pts) == 1:
            step = target - r["r_mean_A"]
        else:
            (xa, ra), (xb, rb) = pts[-2], pts[-1]
            slope = (rb - ra) / (xb - xa) if abs(xb - xa) > 1e-4 and rb != ra else 1.0
            slope = min(max(slope, 0.3), 2.0)
            step = (target - rb) / slope
        # steps capped at 0.1 A: the CN can jump (6 <-> 8) between close Rmin/2 values
        x = pts[-1][0] + max(-0.1, min(0.1, step))
    best = min(pts, key=lambda p: abs(p[1] - target))
    return {"ion": ion, "rmin2_A": round(best[0], 4), "eps_kcal": round(eps_for(ion, best[0]), 6),
            "c4_kcal_A4": c4, "c4_source": c4_src,
            "rmin2_source": f"fitted to M-O {target} A ({REFERENCES[ion][4]}), TIP3P, "
                            "validate_ions.py --fit",
            "target_r_A": target}


# Grid for ions whose one-C4 fit failed the CN check (stated method, ``--grid ION``): every
# (C4, epsilon) pair below (a coarse 2 x 3 grid on 2 shared cores; a first 4 x 4 grid was
# stopped after its first pair for time, its rows stay in the results file); for each, Rmin/2 is solved for the reference M-O distance by a
# bracketed secant on short runs (2 + 5 ps, <= 5 iterations, frames every 0.1 ps). Every run is
# appended to ``benchmarks/results/sim_ion_grid.csv`` (resumable: finished pairs are skipped).
# Selection rule (``select_from_grid``): among pairs whose best run is within 0.03 A of the
# reference distance and whose CN is within the CN tolerance, the one with the smallest
# |CN - CN_ref|, ties broken by the C4 closest to the published/analogue C4; the winner is then
# validated by the normal 3 + 12 ps run (a new seed) before it is written to ion_1264.csv.
GRID = {  # (C4, eps) pairs. Round 1 (C4 0/100/347/700 x eps 0.01-0.3) was stopped after its
    # first pair for time; round 2 spans eps at C4 = 0 (lower C4 gave lower CN at the same
    # distance: C4 347 -> CN 8, C4 0 -> CN 7 at 2.13-2.16 A) plus one C4 > 0 pair for In3+.
    "In3+": [(0.0, 0.001), (0.0, 0.003), (0.0, 0.01), (0.0, 0.1), (0.0, 0.3), (100.0, 0.01),
             # round 4 (2026-12-03, before these runs): In3+ fails only the HFE with its chosen
             # C4 = 0 (-829 vs -951 kcal/mol); the published C4 347 meets distance and HFE but
             # gives CN 8. Pairs between them (C4 250 and 300, where the HFE is expected to
             # approach the target, at the two small eps that gave the lowest CN at C4 = 0) are
             # scanned, and the HFE joins the selection rule for In3+ (GRID_HFE_IONS).
             (250.0, 0.003), (300.0, 0.003), (250.0, 0.01), (300.0, 0.01)],
    "Pb2+": [(0.0, 0.003), (0.0, 0.03), (0.0, 0.3),
             # round 3 (2026-12-03): does a larger C4 (stronger first shell, smaller Rmin/2 at
             # the same distance expected) give CN ~6 at 2.54 A? Checked, not assumed.
             (300.0, 0.03), (600.0, 0.03)],
    # Bi3+ (2026-12-03 20:15 UTC, after its HFE reference was fixed at 20:13 and before these
    # runs): the bundled model (analogue C4 152 of La3+) meets distance and CN but its HFE is
    # -748.8 vs -834 kcal/mol. A larger C4 deepens the HFE at a fixed distance (In3+: C4 0 -> 347
    # moved it -829 -> -951 at 2.13 A; at 2.51 A the r^-4 term is ~half as strong, so C4 ~500-700
    # is expected to be needed). Pairs: C4 500 and 700 at the bundled eps, and C4 700 at a
    # smaller eps; the HFE is a selection criterion (GRID_HFE_IONS).
    "Bi3+": [(500.0, 0.093991), (700.0, 0.093991), (700.0, 0.03)],
    # Cu2+ (2026-12-04 17:27 UTC, after its proxy HFE check and before these runs): the bundled
    # model (published C4 290.9, Rmin/2 solved for 2.045 A) meets distance and CN but is 5 % more
    # strongly hydrated than the Li/Merz 12-6 HFE-set model in the same protocol (-503.2 vs -477.9
    # kcal/mol; HFE_PROXY_IONS). A smaller C4 weakens the HFE at a fixed distance (In3+ above: C4
    # 0 -> 347 moved it by -121 kcal/mol), so C4 200 and 150 at the bundled eps, and C4 200 at a
    # smaller eps; the proxy HFE is the third selection criterion (GRID_HFE_IONS, hfe_target).
    "Cu2+": [(200.0, 0.014829), (150.0, 0.014829), (200.0, 0.005)],
}
# why each grid ion's published/analogue-C4 model was replaced (written into its c4_source)
GRID_REASON = {"In3+": "failed the CN check", "Pb2+": "failed the CN check",
               "Bi3+": "failed the HFE check", "Cu2+": "failed the proxy HFE check"}
GRID_OUT = OUT.with_name("sim_ion_grid.csv")
# Ions whose grid selection also requires the HFE (rule fixed before the round-4 runs): every grid
# pair that meets distance (0.03 A) and CN on its grid run gets an HFE by the ``--hfe`` protocol
# (``--grid-hfe``, model label "12-6-4 grid C4 .. eps .."); a pair replaces the bundled model
# only if its HFE is within HFE_TOL_FRAC of the reference as well (then the smallest |CN - CN_ref|
# wins, ties to the C4 closest to the published one) and it passes the 3 + 12 ps validation run.
# If no pair meets all three, the bundled model and the stated conflict stay.
GRID_HFE_IONS = ("In3+", "Bi3+", "Cu2+")
GRID_COLS = ["ion", "c4_kcal_A4", "eps_kcal", "iter", "rmin2_A", "r_mean_A", "r_peak_A", "cn",
             "cn_sd", "wall_s", "seed", "equil_ps", "prod_ps"]


def _grid_done() -> pd.DataFrame:
    return pd.read_csv(GRID_OUT) if GRID_OUT.exists() else pd.DataFrame(columns=GRID_COLS)


def solve_rmin2(ion: str, make_model, start_rmin2: float, prod_ps: float = 5.0,
                label: str = "grid") -> list[tuple[float, dict]]:
    """Bracketed secant for the Rmin/2 that puts the mean first-shell M-O at the reference
    distance (2 + ``prod_ps`` ps runs, <= 5 iterations, seeds 21, 22, ..., stop within 0.02 A;
    steps capped at 0.15 A). ``make_model(rmin2)`` returns the IonModel. Returns
    [(Rmin/2, run result)] in run order."""
    from chelscreen.simulate.hydration import simulate_aqua_ion

    target = REFERENCES[ion][0]
    lo = hi = None  # Rmin/2 giving r below / above the target
    pts: list[tuple[float, float]] = []
    out = []
    x = start_rmin2
    for it in range(5):
        r = simulate_aqua_ion(make_model(x), equil_ps=2, prod_ps=prod_ps, seed=21 + it)
        out.append((x, r))
        print(f"  {label} iter {it}: Rmin/2 {x:.3f} -> r {r['r_mean_A']:.3f} (target {target}), "
              f"CN {r['cn_mean']:.2f}", flush=True)
        rr = r["r_mean_A"]
        if abs(rr - target) <= 0.02 or not math.isfinite(rr):
            break
        pts.append((x, rr))
        if rr < target:
            lo = x if lo is None else max(lo, x)
        else:
            hi = x if hi is None else min(hi, x)
        if len(pts) == 1:
            step = max(-0.15, min(0.15, target - rr))
            nxt = x + step
        else:
            (xa, ra), (xb, rb) = pts[-2], pts[-1]
            slope = (rb - ra) / (xb - xa) if abs(xb - xa) > 1e-4 and rb != ra else 1.0
            slope = min(max(slope, 0.3), 3.0)
            nxt = xb + max(-0.15, min(0.15, (target - rb) / slope))
        if lo is not None and hi is not None and not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        x = nxt
    return out


def grid_scan(ion: str, start_rmin2: float, prod_ps: float = 5.0) -> None:
    from chelscreen.simulate.hydration import IonModel, c4_to_openmm, rmin2_to_sigma_nm
    from chelscreen.simulate.params import get_ion_parameters

    q = get_ion_parameters(ion).charge
    done = _grid_done()
    for c4, eps in GRID[ion]:
        prev = done[(done["ion"] == ion) & (done["c4_kcal_A4"] == c4)
                    & (done["eps_kcal"] == eps)]
        if len(prev):
            continue
        runs = solve_rmin2(
            ion, lambda x, c4=c4, eps=eps: IonModel(ion, q, rmin2_to_sigma_nm(x), eps * 4.184,
                                                    c4_to_openmm(c4), f"grid C4 {c4} eps {eps}"),
            start_rmin2, prod_ps, label=f"grid {ion} C4 {c4:g} eps {eps:g}")
        rows = [{"ion": ion, "c4_kcal_A4": c4, "eps_kcal": eps, "iter": it,
                 "rmin2_A": round(x, 4), "r_mean_A": round(r["r_mean_A"], 4),
                 "r_peak_A": round(r["r_peak_A"], 3), "cn": round(r["cn_mean"], 3),
                 "cn_sd": round(r["cn_sd"], 3), "wall_s": round(r["wall_s"], 1),
                 "seed": 21 + it, "equil_ps": 2, "prod_ps": prod_ps}
                for it, (x, r) in enumerate(runs)]
        new = pd.DataFrame(rows, columns=GRID_COLS)
        done = new if done.empty else pd.concat([done, new], ignore_index=True)
        done.to_csv(GRID_OUT, index=False)


def grid_candidates(ion: str, cn_miss: bool = False) -> list[dict]:
    """Each grid pair's run closest to the reference distance, if it meets distance and CN
    (``cn_miss``: instead the pairs that meet the distance but miss the CN, for the record)."""
    df = _grid_done()
    df = df[df["ion"] == ion]
    ref_r, ref_cn, cn_unc = REFERENCES[ion][:3]
    out = []
    for (_c4, _eps), g in df.groupby(["c4_kcal_A4", "eps_kcal"]):
        row = g.loc[(g["r_mean_A"] - ref_r).abs().idxmin()]
        cn_ok = abs(row["cn"] - ref_cn) <= max(1.0, cn_unc)
        if abs(row["r_mean_A"] - ref_r) <= 0.03 and cn_ok != cn_miss:
            out.append(row.to_dict())
    return out


def grid_label(c4: float, eps: float) -> str:
    return f"12-6-4 grid C4 {c4:g} eps {eps:g}"


def hfe_target(ion: str) -> float | None:
    """The HFE a grid pick must meet: the experimental reference where one was read, else for
    HFE_PROXY_IONS the proxy (the Li/Merz 12-6 HFE-set model's HFE in this protocol, main
    settings), else None."""
    if ion in HFE_REFERENCES:
        return HFE_REFERENCES[ion][0]
    if ion in HFE_PROXY_IONS and HFE_OUT.exists():
        import json

        h = pd.read_csv(HFE_OUT)
        h = h[(h["ion"] == ion) & (h["model"] == "12-6")]
        if "settings" in h:
            h = h[h["settings"] == json.dumps(HFE_SETTINGS, sort_keys=True)]
        if len(h):
            return float(h.iloc[-1]["hfe_sim_kcal"])
    return None


def grid_hfe_within(ion: str) -> dict[tuple[float, float], bool]:
    """(C4, eps) -> HFE within tolerance, for the grid pairs whose HFE was run (``--grid-hfe``)."""
    ref = hfe_target(ion)
    if not HFE_OUT.exists() or ref is None:
        return {}
    h = pd.read_csv(HFE_OUT)
    out = {}
    for c in grid_candidates(ion):
        lab = grid_label(c["c4_kcal_A4"], c["eps_kcal"])
        r = h[(h["ion"] == ion) & (h["model"] == lab)]
        if len(r):
            out[(c["c4_kcal_A4"], c["eps_kcal"])] = hfe_within(
                float(r.iloc[-1]["hfe_sim_kcal"]), ref)
    return out


def select_from_grid(ion: str) -> dict | None:
    """The grid pair chosen by the stated rule, or None when no pair meets the targets (distance
    and CN; for GRID_HFE_IONS also the HFE)."""
    c4_pub = c4_for(ion)[0]
    ref_cn = REFERENCES[ion][1]
    hfe_ok = grid_hfe_within(ion) if ion in GRID_HFE_IONS else None
    best = None
    for row in grid_candidates(ion):
        c4 = row["c4_kcal_A4"]
        if hfe_ok is not None and not hfe_ok.get((c4, row["eps_kcal"]), False):
            continue
        key = (abs(row["cn"] - ref_cn), abs(c4 - c4_pub))
        if best is None or key < best[0]:
            best = (key, row)
    return None if best is None else best[1]


def grid_hfe(ions: list[str], cn_miss: bool = False) -> int:
    """HFE (``--hfe`` protocol) of every grid pair of GRID_HFE_IONS that meets distance and CN
    (``cn_miss``: also of the pairs that meet the distance but miss the CN; their HFE is shown to
    size the trade-off and never makes them selectable)."""
    from chelscreen.simulate.params import get_ion_parameters

    alts = {}
    for ion in ions:
        if ion not in GRID_HFE_IONS:
            print(f"{ion}: not in GRID_HFE_IONS; skipped")
            continue
        for c in grid_candidates(ion) + (grid_candidates(ion, cn_miss=True) if cn_miss else []):
            alts[(ion, grid_label(c["c4_kcal_A4"], c["eps_kcal"]))] = (
                float(c["rmin2_A"]), float(c["eps_kcal"]), float(c["c4_kcal_A4"]),
                f"grid pair (validate_ions.py --grid), best run r {c['r_mean_A']:.3f} A, CN "
                f"{c['cn']:.2f}, charge {get_ion_parameters(ion).charge}")
    if alts:
        hfe_run(list(alts), alternatives=alts)
    for ion in ions:
        ok = grid_hfe_within(ion)
        h = pd.read_csv(HFE_OUT) if HFE_OUT.exists() else pd.DataFrame()
        ref = hfe_target(ion)
        ref = math.nan if ref is None else round(ref, 1)
        for miss in (False, True):
            for c in grid_candidates(ion, cn_miss=miss):
                lab = grid_label(c["c4_kcal_A4"], c["eps_kcal"])
                r = h[(h["ion"] == ion) & (h["model"] == lab)] if len(h) else []
                hs = (f"HFE {float(r.iloc[-1]['hfe_sim_kcal']):.1f}" if len(r)
                      else "HFE not run")
                what = ("CN outside tolerance: not selectable" if miss else
                        "distance, CN and HFE within" if ok.get((c["c4_kcal_A4"],
                                                                 c["eps_kcal"]))
                        else "HFE outside tolerance or not run")
                print(f"{ion} {lab}: Rmin/2 {c['rmin2_A']:.4f}, r {c['r_mean_A']:.3f} A, CN "
                      f"{c['cn']:.2f}, {hs} vs {ref} kcal/mol: {what}")
        pick = select_from_grid(ion)
        print(f"{ion}: " + ("pick " + grid_label(pick["c4_kcal_A4"], pick["eps_kcal"]) if pick
                            else "no grid pair meets distance, CN and HFE together"))
    return 0


def apply_grid(ions: list[str], prod_ps: float) -> int:
    """Validate each ion's selected grid pair; keep it in ion_1264.csv only if it passes."""
    from chelscreen.simulate.hydration import ion_model, read_1264_table, simulate_aqua_ion

    val = pd.read_csv(OUT)
    for ion in ions:
        pick = select_from_grid(ion)
        if pick is None:
            print(f"{ion}: no grid pair meets the targets "
                  f"({'distance, CN and HFE' if ion in GRID_HFE_IONS else 'distance and CN'}); "
                  "table unchanged", flush=True)
            continue
        table = read_1264_table(TABLE)
        saved = dict(table[ion])
        c4 = float(pick["c4_kcal_A4"])
        c4_pub, c4_src0 = c4_for(ion)
        table[ion] = {
            "ion": ion, "rmin2_A": round(float(pick["rmin2_A"]), 4),
            "eps_kcal": float(pick["eps_kcal"]), "c4_kcal_A4": c4,
            "c4_source": (f"grid-fitted (C4, eps) (validate_ions.py --grid; {c4_src0} = "
                          f"{c4_pub:g} {GRID_REASON.get(ion, 'failed the CN check')})"),
            "rmin2_source": f"fitted to M-O {REFERENCES[ion][0]} A ({REFERENCES[ion][4]}) with "
                            + ("CN and HFE as grid criteria" if ion in GRID_HFE_IONS
                               else "CN as a grid criterion")
                            + (" (HFE target: proxy, the Li/Merz 12-6 HFE-set model's HFE in "
                               "the same protocol; no experimental HFE read)"
                               if ion in GRID_HFE_IONS and ion not in HFE_REFERENCES else "")
                            + ", TIP3P, validate_ions.py --grid",
            "target_r_A": REFERENCES[ion][0], "water_check": ""}
        write_table([table[i] for i in sorted(table)])
        r = simulate_aqua_ion(ion_model(ion, "12-6-4"), equil_ps=3, prod_ps=prod_ps, seed=2)
        ok_r, ok_cn = verdict(ion, r["r_mean_A"], r["cn_mean"])
        print(f"{ion} grid pick C4 {c4:g} eps {pick['eps_kcal']:g} Rmin/2 {pick['rmin2_A']:.4f}:"
              f" r {r['r_mean_A']:.3f} (ref {REFERENCES[ion][0]}), CN {r['cn_mean']:.2f} (ref "
              f"{REFERENCES[ion][1]:g}): {'kept' if ok_r and ok_cn else 'rejected, restored'}",
              flush=True)
        if not (ok_r and ok_cn):
            table[ion] = saved
            write_table([table[i] for i in sorted(table)])
            continue
        idx = val[(val["ion"] == ion) & (val["model"] == "12-6-4")].index[0]
        val.loc[idx, ["source", "r_sim_A", "r_peak_A", "cn_sim", "cn_sd", "r_within_tol",
                      "cn_within_tol", "rmin2_A", "c4_kcal_A4", "wall_s"]] = [
            r["source"], round(r["r_mean_A"], 3), round(r["r_peak_A"], 3),
            round(r["cn_mean"], 2), round(r["cn_sd"], 2), ok_r, ok_cn,
            round(r["rmin2_A"], 4), r["c4_kcal_A4"], round(r["wall_s"], 1)]
    val.to_csv(OUT, index=False)
    record_validation(val)
    return 0


# --- Pb2+ lone-pair-site model (``--lp-grid``, ``--lp-hfe``, ``--lp-apply``) ----------------------
# Why: a 12-6-4 ion is isotropic, so at Pb-O 2.54 A it holds 8 waters all round (LIMITATIONS);
# the measured shell is 6 waters, hemidirected. The model (``IonModel.lp_*``, ``add_lp_site`` in
# chelscreen/simulate/hydration.py): the Pb2+ 12-6-4 ion (charge +2, 12-6 LJ, C4 with the water
# O) plus a lone-pair site lp_d from it, held there by a constraint (a rigid, freely turning
# dumbbell; 4 u of the ion's mass moved to the site), carrying no charge and no C4, only a 12-6 LJ
# site (Lorentz-Berthelot with every other LJ site) that keeps waters off one side.
# How the model form was chosen (before the rule below, said here because it was looked at):
# four exploratory 2 + 5 ps runs at the bundled Rmin/2 1.6887, eps 0.122723, site eps 0.1,
# 2026-12-05 07:09-07:10 UTC: (lp_d 0.8 A, site Rmin/2 1.5 A, C4 250) -> r 2.683 A, CN 8.98,
# shell asymmetry 0.05 (not hemidirected); (1.0, 2.0, 250) -> 2.547 A, CN 6.06, 0.34;
# (1.2, 2.2, 250) -> 2.542 A, CN 6.00, 0.35; (1.0, 2.0, 82.7) -> 2.594 A, CN 6.16, 0.31.
# (A site carrying only C4, no LJ, at 0.8 A with C4 250 gave CN 7.94, asymmetry 0.04: dropped.)
# RULE (fixed 2026-12-05 07:12 UTC in commit d5082b0, before any run of it):
# - fixed: Pb eps 0.122723 kcal/mol (the bundled one), site eps 0.1 kcal/mol, site Rmin/2 =
#   lp_d + 1.0 A, site mass 4 u;
# - grid: lp_d in {1.0, 1.2} A x C4 (Pb-water O) in {150, 250, 350} kcal/mol/A^4 (6 triples);
#   per triple the Pb Rmin/2 is solved for the reference Pb-O 2.54 A by ``solve_rmin2`` (the
#   grid's secant: 2 + 5 ps runs, <= 5 iterations, start 1.6887), every run logged in
#   ``benchmarks/results/sim_ion_lp_grid.csv``;
# - candidates: the triple's run closest to 2.54 A, if within 0.03 A and CN within 6 +/- 1;
# - each candidate's HFE by the ``--hfe`` protocol (HFE_SETTINGS, seed 5; the Widom cavity term
#   inserts the dumbbell); it must be within HFE_TOL_FRAC (3 %) of the proxy target
#   (``hfe_target('Pb2+')``, the Li/Merz 12-6 HFE-set model's HFE in this protocol, -340.1);
# - pick: smallest |CN - 6|, then smallest |HFE - proxy|;
# - validation: the pick is run on two fresh seeds (301, 302; 3 + 12 ps each) and is bundled
#   (ion_1264.csv, with the lp_* columns) only if both runs pass the normal verdict (distance
#   +/- 0.05 A, CN +/- 1). The shell asymmetry is reported (not a criterion). If nothing passes,
#   the spherical Pb2+ and its FAIL stay.
# For Pb2+ the CN and the HFE are then fitting criteria, not independent checks.
LP_ION = "Pb2+"
LP_EPS_KCAL = 0.122723
LP_SITE_EPS_KCAL = 0.1
LP_SITE_RMIN2_OVER_D_A = 1.0
LP_GRID = [(d, c4) for d in (1.0, 1.2) for c4 in (150.0, 250.0, 350.0)]
LP_SEEDS = (301, 302)
LP_START_RMIN2 = 1.6887
LP_OUT = OUT.with_name("sim_ion_lp_grid.csv")
LP_COLS = ["ion", "lp_d_A", "lp_rmin2_A", "lp_eps_kcal", "c4_kcal_A4", "eps_kcal", "iter",
           "rmin2_A", "r_mean_A", "r_peak_A", "cn", "cn_sd", "shell_asym", "wall_s", "seed",
           "equil_ps", "prod_ps"]


def lp_model(rmin2: float, c4: float, lp_d: float, source: str = ""):
    from chelscreen.simulate.hydration import IonModel, c4_to_openmm, rmin2_to_sigma_nm
    from chelscreen.simulate.params import get_ion_parameters

    return IonModel(LP_ION, get_ion_parameters(LP_ION).charge, rmin2_to_sigma_nm(rmin2),
                    LP_EPS_KCAL * 4.184, c4_to_openmm(c4), source or lp_label(lp_d, c4),
                    lp_d, rmin2_to_sigma_nm(lp_d + LP_SITE_RMIN2_OVER_D_A),
                    LP_SITE_EPS_KCAL * 4.184)


def lp_label(lp_d: float, c4: float) -> str:
    return f"12-6-4 lp {lp_d:g} A C4 {c4:g}"


def _lp_done() -> pd.DataFrame:
    return pd.read_csv(LP_OUT) if LP_OUT.exists() else pd.DataFrame(columns=LP_COLS)


def lp_grid_scan(prod_ps: float = 5.0) -> int:
    done = _lp_done()
    for lp_d, c4 in LP_GRID:
        if len(done[(done["lp_d_A"] == lp_d) & (done["c4_kcal_A4"] == c4)]):
            continue
        runs = solve_rmin2(LP_ION, lambda x, d=lp_d, c=c4: lp_model(x, c, d), LP_START_RMIN2,
                           prod_ps, label=lp_label(lp_d, c4))
        rows = [{"ion": LP_ION, "lp_d_A": lp_d, "lp_rmin2_A": lp_d + LP_SITE_RMIN2_OVER_D_A,
                 "lp_eps_kcal": LP_SITE_EPS_KCAL, "c4_kcal_A4": c4, "eps_kcal": LP_EPS_KCAL,
                 "iter": it, "rmin2_A": round(x, 4), "r_mean_A": round(r["r_mean_A"], 4),
                 "r_peak_A": round(r["r_peak_A"], 3), "cn": round(r["cn_mean"], 3),
                 "cn_sd": round(r["cn_sd"], 3), "shell_asym": round(r["shell_asym"], 3),
                 "wall_s": round(r["wall_s"], 1), "seed": 21 + it, "equil_ps": 2,
                 "prod_ps": prod_ps} for it, (x, r) in enumerate(runs)]
        new = pd.DataFrame(rows, columns=LP_COLS)
        done = new if done.empty else pd.concat([done, new], ignore_index=True)
        done.to_csv(LP_OUT, index=False)
    return 0


def lp_candidates() -> list[dict]:
    """Each triple's run closest to the reference distance, if it meets distance (0.03 A) and
    CN."""
    ref_r, ref_cn, cn_unc = REFERENCES[LP_ION][:3]
    out = []
    for _k, g in _lp_done().groupby(["lp_d_A", "c4_kcal_A4"]):
        row = g.loc[(g["r_mean_A"] - ref_r).abs().idxmin()]
        if abs(row["r_mean_A"] - ref_r) <= 0.03 and abs(row["cn"] - ref_cn) <= max(1.0, cn_unc):
            out.append(row.to_dict())
    return out


def _lp_hfe(row: dict) -> float | None:
    if not HFE_OUT.exists():
        return None
    h = pd.read_csv(HFE_OUT)
    h = h[(h["ion"] == LP_ION) & (h["model"] == lp_label(row["lp_d_A"], row["c4_kcal_A4"]))
          & (h["rmin2_A"].round(4) == round(float(row["rmin2_A"]), 4))]
    return float(h.iloc[-1]["hfe_sim_kcal"]) if len(h) else None


def lp_hfe() -> int:
    """HFE of every lone-pair candidate (resumable), then the rule's pick."""
    alts = {(LP_ION, lp_label(c["lp_d_A"], c["c4_kcal_A4"])):
            lp_model(float(c["rmin2_A"]), float(c["c4_kcal_A4"]), float(c["lp_d_A"]),
                     f"lone-pair grid (validate_ions.py --lp-grid), best run r "
                     f"{c['r_mean_A']:.3f} A, CN {c['cn']:.2f}")
            for c in lp_candidates()}
    if alts:
        hfe_run(list(alts), alternatives=alts)
    lp_report()
    return 0


def lp_select() -> tuple[dict, float] | None:
    proxy = hfe_target(LP_ION)
    best = None
    for c in lp_candidates():
        hfe = _lp_hfe(c)
        if proxy is None or hfe is None or not hfe_within(hfe, proxy):
            continue
        key = (abs(c["cn"] - REFERENCES[LP_ION][1]), abs(hfe - proxy))
        if best is None or key < best[0]:
            best = (key, c, hfe)
    return None if best is None else (best[1], best[2])


def lp_report() -> None:
    df = _lp_done()
    proxy = hfe_target(LP_ION)
    print(f"{LP_ION} lone-pair grid ({len(df)} runs; HFE proxy {proxy}):")
    cands = {(c["lp_d_A"], c["c4_kcal_A4"]) for c in lp_candidates()}
    for (d, c4), g in df.groupby(["lp_d_A", "c4_kcal_A4"]):
        row = g.loc[(g["r_mean_A"] - REFERENCES[LP_ION][0]).abs().idxmin()].to_dict()
        hfe = _lp_hfe(row)
        print(f"  {lp_label(d, c4)}: Rmin/2 {row['rmin2_A']:.4f}, r {row['r_mean_A']:.3f} A, CN "
              f"{row['cn']:.2f} (sd {row['cn_sd']:.2f}), asym {row['shell_asym']:.2f}, HFE "
              f"{'not run' if hfe is None else f'{hfe:.1f}'}"
              f"{'' if (d, c4) in cands else ' (misses distance or CN)'}")
    pick = lp_select()
    print(f"  pick: {lp_label(pick[0]['lp_d_A'], pick[0]['c4_kcal_A4'])}" if pick
          else "  pick: none meets distance, CN and HFE")


def lp_apply(prod_ps: float) -> int:
    """Validate the pick on LP_SEEDS; bundle it only if every run passes."""
    from chelscreen.simulate.hydration import ion_model, read_1264_table, simulate_aqua_ion

    sel = lp_select()
    if sel is None:
        print(f"{LP_ION}: no lone-pair triple meets distance, CN and HFE; table unchanged")
        return 0
    pick, hfe = sel
    runs = []
    for seed in LP_SEEDS:
        m = lp_model(float(pick["rmin2_A"]), float(pick["c4_kcal_A4"]), float(pick["lp_d_A"]))
        r = simulate_aqua_ion(m, equil_ps=3, prod_ps=prod_ps, seed=seed)
        ok_r, ok_cn = verdict(LP_ION, r["r_mean_A"], r["cn_mean"])
        runs.append((seed, r, ok_r and ok_cn))
        print(f"{LP_ION} lone-pair pick seed {seed}: r {r['r_mean_A']:.3f}, CN {r['cn_mean']:.2f}"
              f" (sd {r['cn_sd']:.2f}), asym {r['shell_asym']:.2f}: "
              f"{'pass' if ok_r and ok_cn else 'FAIL'}", flush=True)
    if not all(ok for *_x, ok in runs):
        print(f"{LP_ION}: the pick failed a validation run; table unchanged")
        return 0
    table = read_1264_table(TABLE)
    c4 = float(pick["c4_kcal_A4"])
    table[LP_ION] = {
        "ion": LP_ION, "rmin2_A": round(float(pick["rmin2_A"]), 4), "eps_kcal": LP_EPS_KCAL,
        "c4_kcal_A4": c4,
        "c4_source": (f"lone-pair grid (validate_ions.py --lp-grid; the spherical model with "
                      f"{c4_for(LP_ION)[1]} = {c4_for(LP_ION)[0]:g} failed the CN check)"),
        "rmin2_source": (f"fitted to M-O {REFERENCES[LP_ION][0]} A ({REFERENCES[LP_ION][4]}) "
                         "with CN and HFE as grid criteria (HFE target: proxy, the Li/Merz 12-6 "
                         "HFE-set model's HFE in the same protocol; no experimental HFE read), "
                         "TIP3P, validate_ions.py --lp-grid"),
        "target_r_A": REFERENCES[LP_ION][0], "water_check": "",
        "lp_d_A": float(pick["lp_d_A"]),
        "lp_rmin2_A": float(pick["lp_d_A"]) + LP_SITE_RMIN2_OVER_D_A,
        "lp_eps_kcal": LP_SITE_EPS_KCAL,
        "lp_source": ("lone-pair site (hemidirected shell), grid pick by the rule in "
                      "validate_ions.py (LP_GRID); validation seeds "
                      + ", ".join(f"{s}: r {r['r_mean_A']:.3f} A, CN {r['cn_mean']:.2f}, "
                                  f"asym {r['shell_asym']:.2f}" for s, r, _ok in runs)
                      + f"; grid HFE {hfe:.1f} kcal/mol")}
    write_table([table[i] for i in sorted(table)])
    seed, r, _ok = runs[0]
    assert ion_model(LP_ION, "12-6-4").has_lp
    val = pd.read_csv(OUT)
    idx = val[(val["ion"] == LP_ION) & (val["model"] == "12-6-4")].index[0]
    ok_r, ok_cn = verdict(LP_ION, r["r_mean_A"], r["cn_mean"])
    val.loc[idx, ["source", "r_sim_A", "r_peak_A", "cn_sim", "cn_sd", "shell_asym",
                  "r_within_tol", "cn_within_tol", "rmin2_A", "c4_kcal_A4", "wall_s"]] = [
        ion_model(LP_ION, "12-6-4").source, round(r["r_mean_A"], 3), round(r["r_peak_A"], 3),
        round(r["cn_mean"], 2), round(r["cn_sd"], 2), round(r["shell_asym"], 3), ok_r, ok_cn,
        round(r["rmin2_A"], 4), r["c4_kcal_A4"], round(r["wall_s"], 1)]
    val.to_csv(OUT, index=False)
    record_validation(val)
    return 0


TABLE_COLS = ["ion", "rmin2_A", "eps_kcal", "c4_kcal_A4", "c4_source", "rmin2_source",
              "target_r_A", "water_check", "lp_d_A", "lp_rmin2_A", "lp_eps_kcal", "lp_source"]


def write_table(rows: list[dict]) -> None:
    cols = TABLE_COLS
    with open(TABLE, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in cols})
    print(f"wrote {TABLE}")


def refit_c4_zero(ions: list[str], prod_ps: float) -> int:
    """Second fit rule (stated): an ion whose published/analogue-C4 model fails the aqua-ion
    check is refitted with C4 = 0; the refit replaces it only if it passes both tolerances."""
    from chelscreen.simulate.hydration import ion_model, read_1264_table, simulate_aqua_ion

    table = read_1264_table(TABLE)
    val = pd.read_csv(OUT)
    log: list = []
    for ion in ions:
        old = val[(val["ion"] == ion) & (val["model"] == "12-6-4")].iloc[0]
        base = val[(val["ion"] == ion) & (val["model"] == "12-6")].iloc[0]
        new = fit_ion(ion, float(base["r_sim_A"]), log, c4_zero=True,
                      start=float(table[ion]["rmin2_A"]))
        saved = dict(table[ion])
        table[ion] = {**new, "water_check": ""}
        write_table([table[i] for i in sorted(table)])
        r = simulate_aqua_ion(ion_model(ion, "12-6-4"), equil_ps=3, prod_ps=prod_ps, seed=2)
        ok_r, ok_cn = verdict(ion, r["r_mean_A"], r["cn_mean"])
        print(f"{ion} refit with C4 = 0: r {r['r_mean_A']:.3f} (ref {REFERENCES[ion][0]}), CN "
              f"{r['cn_mean']:.2f} (ref {REFERENCES[ion][1]:g}): "
              f"{'kept' if ok_r and ok_cn else 'rejected, previous model restored'}", flush=True)
        if ok_r and ok_cn:
            idx = old.name
            val.loc[idx, ["source", "r_sim_A", "r_peak_A", "cn_sim", "cn_sd", "r_within_tol",
                          "cn_within_tol", "rmin2_A", "c4_kcal_A4", "wall_s"]] = [
                r["source"], round(r["r_mean_A"], 3), round(r["r_peak_A"], 3),
                round(r["cn_mean"], 2), round(r["cn_sd"], 2), ok_r, ok_cn,
                round(r["rmin2_A"], 4), r["c4_kcal_A4"], round(r["wall_s"], 1)]
        else:
            table[ion] = saved
            write_table([table[i] for i in sorted(table)])
    val.to_csv(OUT, index=False)
    pd.DataFrame(log).to_csv(OUT.with_name("sim_ion_refit_log.csv"), index=False)
    record_validation(val)
    m = val[val["model"] == "12-6-4"]
    print(f"12-6-4: {int((m['r_within_tol'] & m['cn_within_tol']).sum())}/{len(m)} ions within "
          "both tolerances")
    return 0


def record_validation(df: pd.DataFrame) -> None:
    """Write each 12-6-4 ion's water check into ``ion_1264.csv`` (column ``water_check``), so
    that explicit-water runs with an ion that failed it carry a warning."""
    from chelscreen.simulate.hydration import read_1264_table

    if not TABLE.exists():
        return
    import json

    rows = read_1264_table(TABLE)
    hfe = {}
    if HFE_OUT.exists():
        h = hfe_table(write=False)
        h = h[(h["model"] == "12-6-4") & (h["settings"] == json.dumps(HFE_SETTINGS,
                                                                      sort_keys=True))]
        hfe = {r.ion: r for r in h.itertuples(index=False)}
    for r in df[df["model"] == "12-6-4"].itertuples(index=False):
        if r.ion not in rows:
            continue
        ok = bool(r.r_within_tol) and bool(r.cn_within_tol)
        text = f"M-O {r.r_sim_A:.3f} vs {r.r_ref_A} A, CN {r.cn_sim:.1f} vs {r.cn_ref:g}"
        h = hfe.get(r.ion)
        hfe_fail = False
        if h is not None and not pd.isna(h.hfe_ref_kcal):
            hfe_fail = not bool(h.hfe_within_tol)
            text += f", HFE {h.hfe_sim_kcal:.0f} vs {h.hfe_ref_kcal:.0f} kcal/mol"
        elif h is not None:
            proxy = hfe_target(r.ion) if r.ion in HFE_PROXY_IONS else None
            if proxy is None:
                text += f", HFE {h.hfe_sim_kcal:.0f} kcal/mol (no reference)"
            else:
                proxy_fail = not hfe_within(h.hfe_sim_kcal, proxy)
                text += (f", HFE {h.hfe_sim_kcal:.0f} kcal/mol (no reference; proxy {proxy:.0f}: "
                         f"Li/Merz 12-6 HFE-set model, same protocol"
                         f"{f', outside {100 * HFE_TOL_FRAC:g} %' if proxy_fail else ''})")
        verdict_s = ("pass" if ok and not hfe_fail else
                     "FAIL (HFE)" if ok else "FAIL")
        rows[r.ion]["water_check"] = f"{verdict_s}: {text}"
    cols = TABLE_COLS
    with open(TABLE, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for ion in sorted(rows):
            w.writerow({k: "" if rows[ion].get(k) is None else rows[ion].get(k) for k in cols})
    print(f"recorded the water check in {TABLE}")


def distance_cn_tradeoff(ion: str) -> list[str]:
    """What the (C4, eps) grid runs of ``ion`` show about matching distance and CN together
    (from ``sim_ion_grid.csv``; empty when the ion has no grid runs): per pair, the run closest to
    the reference distance and its CN; then, over all runs, the closest distance at which the CN
    is within tolerance."""
    df = _grid_done()
    df = df[df["ion"] == ion]
    if df.empty:
        return []
    ref_r, ref_cn, cn_unc = REFERENCES[ion][:3]
    tol = max(1.0, cn_unc)
    lines, best = [], []
    for (c4, eps), g in df.groupby(["c4_kcal_A4", "eps_kcal"]):
        row = g.loc[(g["r_mean_A"] - ref_r).abs().idxmin()]
        best.append(row)
        lines.append(f"C4 {c4:g}, eps {eps:g}: r {row['r_mean_A']:.3f} A -> CN {row['cn']:.2f}")
    near = [r for r in best if abs(r["r_mean_A"] - ref_r) <= DIST_TOL_A]
    ok_cn = df[(df["cn"] - ref_cn).abs() <= tol]
    head = (f"{len(best)} (C4, eps) pairs, Rmin/2 solved for {ref_r} A: "
            + (f"at the distance (+/- {DIST_TOL_A} A) CN {min(r['cn'] for r in near):.2f}-"
               f"{max(r['cn'] for r in near):.2f} vs {ref_cn:g} +/- {tol:g}" if near
               else "none reaches the distance"))
    if len(ok_cn):
        r = ok_cn.loc[(ok_cn["r_mean_A"] - ref_r).abs().idxmin()]
        tail = (f"CN within tolerance only at r {r['r_mean_A']:.3f} A (CN {r['cn']:.2f}, "
                f"C4 {r['c4_kcal_A4']:g}, eps {r['eps_kcal']:g}), {abs(r['r_mean_A'] - ref_r):.2f}"
                " A from the reference")
    else:
        tail = "no run has the CN within tolerance"
    return [head, *lines, tail]


# frame sd of the first-shell count at or below which a grid run's shell is called stable (the
# count changes in fewer than ~2 % of the frames); above it the shell exchanges waters between two
# coordination states and its mean CN is a mixture, not a shell of that size
STABLE_SHELL_SD = 0.15


def shell_stability(ion: str) -> str:
    """Whether any (C4, eps) grid run of ``ion`` has a *stable* shell of the reference CN, and at
    what distances: the largest M-O of such runs, and the CN and its frame sd of the runs within
    DIST_TOL_A of the reference distance (from ``sim_ion_grid.csv``; empty without grid runs).
    A mean CN inside the tolerance can come from a shell that swaps between two states (e.g. 6 and
    8 waters); this line says whether the measured shell itself was ever produced."""
    df = _grid_done()
    df = df[(df["ion"] == ion)].dropna(subset=["cn_sd"])
    if df.empty:
        return ""
    ref_r, ref_cn, _unc = REFERENCES[ion][:3]
    stable = df[((df["cn"] - ref_cn).abs() <= 0.1) & (df["cn_sd"] <= STABLE_SHELL_SD)]
    near = df[(df["r_mean_A"] - ref_r).abs() <= DIST_TOL_A]
    head = (f"stable CN-{ref_cn:g} shells (frame sd <= {STABLE_SHELL_SD}) in {len(stable)} of "
            f"{len(df)} grid runs, at M-O {stable['r_mean_A'].min():.3f}-"
            f"{stable['r_mean_A'].max():.3f} A" if len(stable)
            else f"no stable CN-{ref_cn:g} shell in {len(df)} grid runs")
    if near.empty:
        return f"{head}; no grid run within {DIST_TOL_A} A of {ref_r} A"
    near_stable = near.index.intersection(stable.index)
    return (f"{head}; the {len(near)} runs within {DIST_TOL_A} A of {ref_r} A have CN "
            f"{near['cn'].min():.2f}-{near['cn'].max():.2f} with frame sd "
            f"{near['cn_sd'].min():.2f}-{near['cn_sd'].max():.2f}: "
            + (f"{len(near_stable)} of them a stable CN-{ref_cn:g} shell" if len(near_stable)
               else f"none has a stable CN-{ref_cn:g} shell at the reference distance"))


def verdict(ion: str, r: float, cn: float) -> tuple[bool, bool]:
    ref_r, ref_cn, cn_unc = REFERENCES[ion][:3]
    return abs(r - ref_r) <= DIST_TOL_A, abs(cn - ref_cn) <= max(1.0, cn_unc)


def ion_params(model) -> tuple[float, float, float]:
    """(Rmin/2 A, eps kcal/mol, C4 kcal/mol/A^4) of an IonModel, rounded as stored."""
    return (round(model.rmin2_A, 4), round(model.epsilon_kJ / 4.184, 6),
            round(model.c4_kJ_nm4 / 4.184e-4, 2))


def qwater_row_matches(r: dict, model) -> bool:
    """Whether a stored q_water row was run with this ion model. Keyed on the parameters
    (Rmin/2, eps, C4), not on the source text: the water-check verdict appended to that text
    changes without any parameter changing. Rows written before the parameters were recorded
    are matched on the source text before "; water check"."""
    if "ion_rmin2_A" in r and not pd.isna(r["ion_rmin2_A"]):
        return (round(float(r["ion_rmin2_A"]), 4), round(float(r["ion_eps_kcal"]), 6),
                round(float(r["ion_c4_kcal_A4"]), 2)) == ion_params(model)
    return (str(r.get("ion_model")).partition("; water check")[0]
            == model.source.partition("; water check")[0])


def qwater_check(seeds: tuple[int, ...] = (3,)) -> int:
    """Explicit protocol (TIP3P, 5 + 20 ps) on Gd(III) complexes with a measured q, one run per
    seed (resumable: rows already in the results file with the same seed and ion model are
    kept); the verdict is on each complex's mean over the seeds."""
    from chelscreen.simulate import build_complex, run
    from chelscreen.simulate.hydration import ion_model

    out = OUT.with_name("sim_qwater_validation.csv")
    model = ion_model("Gd3+", "12-6-4")
    old = pd.read_csv(out) if out.exists() else pd.DataFrame()
    if len(old) and "seed" not in old:
        old["seed"] = 3  # rows written before seeds were recorded used seed 3
    params = ion_params(model)
    rows = [r for r in old.to_dict("records") if qwater_row_matches(r, model)]
    for r in rows:
        r["ion_rmin2_A"], r["ion_eps_kcal"], r["ion_c4_kcal_A4"] = params
    done = {(r["complex"], int(r["seed"])) for r in rows}
    for name, (smi, q_ref, ref, quote) in Q_REFERENCES.items():
        for seed in seeds:
            if (f"Gd-{name}", seed) in done:
                continue
            cx = build_complex(smi, "Gd3+", n_conformers=4)
            r = run(cx, "explicit", seed=seed)
            rows.append({"complex": f"Gd-{name}", "seed": seed, "q_ref": q_ref,
                         "q_water": round(r["q_water"], 2),
                         "q_water_sd": round(r["q_water_sd"], 2),
                         "q_water_cutoff_A": r["q_water_cutoff_A"],
                         "within_0.5": abs(r["q_water"] - q_ref) <= 0.5,
                         "cn_ligand_mean": round(r["cn_mean"], 2), "ref": ref,
                         "ref_quote": quote, "ion_model": r["ion_model"],
                         "ion_rmin2_A": params[0], "ion_eps_kcal": params[1],
                         "ion_c4_kcal_A4": params[2],
                         "md_s": round(r["md_s"], 1), "ns_per_day": round(r["ns_per_day"], 1),
                         "status": r["status"]})
            print(f"Gd-{name:6s} seed {seed}: q_water {r['q_water']:.2f} +/- "
                  f"{r['q_water_sd']:.2f} (cutoff {r['q_water_cutoff_A']:.2f} A) vs measured q = "
                  f"{q_ref}; ligand CN {r['cn_mean']:.2f}; {r['md_s']:.0f} s", flush=True)
            pd.DataFrame(rows).to_csv(out, index=False)
    df = pd.DataFrame(rows)
    df = df[df["seed"].isin(seeds)]
    df = df.assign(seed_within=(df["q_water"] - df["q_ref"]).abs() <= 0.5)
    m = df.groupby("complex", sort=False).agg(q_ref=("q_ref", "first"),
                                               q_water=("q_water", "mean"),
                                               seed_sd=("q_water", "std"), n=("seed", "size"),
                                               n_within=("seed_within", "sum"),
                                               cn_lig=("cn_ligand_mean", "mean"))
    from scipy.stats import spearmanr

    within = (m["q_water"] - m["q_ref"]).abs() <= 0.5
    mae = float((m["q_water"] - m["q_ref"]).abs().mean())
    rho = float(spearmanr(m["q_water"], m["q_ref"]).statistic)
    for c, r in m.iterrows():
        sd = "-" if pd.isna(r.seed_sd) else f"{r.seed_sd:.2f}"
        print(f"{c:9s} mean q_water {r.q_water:.2f} (sd over {int(r.n)} seeds {sd}) vs q "
              f"{r.q_ref:g}; single seeds within 0.5: {int(r.n_within)}/{int(r.n)}; ligand "
              f"donors bound {r.cn_lig:.2f}")
    print(f"\nq_water vs measured q (mean over seeds {', '.join(map(str, seeds))}): "
          f"{int(within.sum())}/{len(m)} within 0.5, MAE {mae:.2f}, Spearman {rho:.2f} "
          "(explicit protocol, not tuned on these)")
    print(f"wrote {out}")
    return 0


# --- Hydration free energies (``--hfe``) ----------------------------------------------------------
# Method (chelscreen.simulate.hydration): TI of the ion charge + C4 (switched on together, 5
# Gauss-Legendre windows, 4/2 ps equilibration + 8 ps sampling each, dU/dlambda every 0.1 ps) in
# the ~350-water TIP3P box of the structure runs (PME 0.9 nm, 300 K), plus Widom insertion of the
# neutral 12-6 sphere into pure TIP3P (20 ps, 200 frames x 500 points), plus the residual
# finite-size correction of a PME charging free energy that contains the Wigner self term (Hummer,
# Pratt & Garcia 1996, doi:10.1021/jp951011v; eps_s = 78.5). Controls: Li/Merz's own 12-6 HFE
# models (fitted by them to these targets with their TI protocol) run through the same
# protocol: their difference from the target is this protocol's offset, stated beside the
# verdicts. Tolerance fixed before the runs: |HFE_sim - HFE_ref| <= 3 % of |HFE_ref|.
HFE_OUT = OUT.with_name("sim_hfe_validation.csv")
HFE_WIDOM = OUT.with_name("sim_hfe_widom.csv")
HFE_TOL_FRAC = 0.03


def hfe_within(hfe_sim: float, target: float) -> bool:
    """The HFE tolerance rule (:data:`HFE_TOL_FRAC` of the target's magnitude), as
    :func:`verdict` is for distance and CN."""
    return bool(abs(hfe_sim - target) <= HFE_TOL_FRAC * abs(target))

HFE_CONTROLS = ["La3+", "Th4+", "Lu3+"]  # 12-6 HFE (Li/Merz) models with a read target
# Proxy HFE check for the M(II) radiometal ions without an experimental HFE read (rule fixed
# 2026-12-04 17:22 UTC, before the Cu2+ and Ra2+ 12-6 runs; the Pb2+ 12-6 run is older, made as a
# baseline, and its result was seen before this rule was written): Li/Merz fitted their 12-6 "HFE
# set" of M(II) ions to the experimental HFEs (PMC3728907), so the HFE this protocol gives for that
# model carries their target, plus this protocol's own offset (the M(III)/M(IV) controls above:
# +0.2 to +13.1 kcal/mol, <= 1.6 %). The 12-6-4 model passes the proxy check if its HFE is within
# HFE_TOL_FRAC of that value. A proxy is not a measurement: the target number itself was never
# read, the check is counted apart from the reference checks and enters no verdict in
# ion_1264.csv. Pb2+, Cu2+ and Ra2+ are in the TIP3P HFE set (AmberTools frcmod.ions234lm_hfe_tip3p
# as converted in openmmforcefields, read 2026-12-04); Ac3+, Sc3+ and Ga3+ are not (no proxy).
HFE_PROXY_IONS = ("Pb2+", "Cu2+", "Ra2+")
HFE_PROXY_SOURCE = (
    "Li, Roberts, Chakravorty & Merz, J. Chem. Theory Comput. 2013, 9, 2733 (PMC3728907): 'we "
    "have systematically designed LJ parameters for 24 +2 metal (M(II)) cations to reproduce "
    "different experimental properties'; AmberTools 24.8 frcmod.ions234lm_hfe_tip3p header as "
    "converted in openmmforcefields: 'Li/Merz ion parameters of divalent to tetravalent ions for "
    "TIP3P water model (12-6 HFE set)'")
HFE_PLAN = ([("La3+", "12-6")] + [(i, "12-6-4") for i in ORDER]
            + [(i, "12-6") for i in HFE_CONTROLS if i != "La3+"]
            + [(i, "12-6") for i in HFE_PROXY_IONS])
# models that were replaced, run to show a trade-off: (ion, label) -> (Rmin/2, eps, C4, why)
HFE_ALTERNATIVES = {
    ("In3+", "12-6-4 published C4"): (
        1.4911, 0.031868, 347.0,
        "In3+ as first fitted (published C4 347, Rmin/2 solved for 2.131 A; commit c23812e); "
        "replaced by the CN grid model because its CN was 8 vs 6"),
    ("Bi3+", "12-6-4 analogue C4 152"): (
        1.8295, 0.093991, 152.0,
        "Bi3+ as first fitted (analogue C4 152 of La3+, Rmin/2 solved for 2.51 A); replaced "
        "2026-12-03 by the (C4, eps) grid model because its HFE was -749 vs -834 kcal/mol"),
    ("Cu2+", "12-6-4 published C4"): (
        1.4703, 0.014829, 290.9,
        "Cu2+ as first fitted (published C4 290.9, Rmin/2 solved for 2.045 A); replaced "
        "2026-12-04 by the (C4, eps) grid model because its HFE was -503.2 vs the proxy -477.9 "
        "kcal/mol (HFE_PROXY_IONS)"),
}
HFE_SETTINGS = {"n_windows": 5, "first_equil_ps": 4.0, "equil_ps": 2.0, "prod_ps": 8.0,
                "sample_ps": 0.1}
# method check (``--hfe-check``): the same ions with 7 windows and another seed; the difference
# from the 5-window value bounds the quadrature + sampling error stated with the results (Lu3+
# 12-6 added after its 5-window control came out 13 kcal/mol off its target)
HFE_CHECK_SETTINGS = {**HFE_SETTINGS, "n_windows": 7}
HFE_CHECK_PLAN = [("La3+", "12-6-4"), ("Th4+", "12-6-4"), ("Lu3+", "12-6"),
                  # Bi3+ added 2026-12-03 20:13 UTC, after its reference was fixed: a run of the
                  # bundled model made only after the reference was chosen
                  ("Bi3+", "12-6-4")]
# Experimental HFE (kcal/mol): the targets Li, Song & Merz fitted their M(III)/M(IV) sets to,
# Table 1 of J. Phys. Chem. B 2015, 119, 883 (PMC4306492), read 2026-12-03; quote = the table row
# (columns: ion | electron configuration | HFE (kcal/mol) | IOD (A) | CN | radii). That table has
# no row for Ac3+, Bi3+, Sc3+ or Ga3+ (re-read 2026-12-03 20:05 UTC). Bi3+: the experimental value
# quoted in the abstract of Ayala et al., J. Phys. Chem. B 2012 (doi:10.1021/jp309439f), read and
# fixed as the Bi3+ reference at 2026-12-03 20:13 UTC, before the Bi3+ runs that use it (its
# 7-window method check and the Bi3+ HFE grid); its own primary source was not read
# (HFE_REF_NOTES). Ions without a reference read: HFE_NOT_FOUND.
HFE_TABLE1 = "PMC4306492"
HFE_REFERENCES: dict[str, tuple[float, str, str]] = {
    "La3+": (-751.7, HFE_TABLE1, "La3+ | [Xe] | –751.7 | 2.52 | 8.0–9.1 | 1.03 | 1.49"),
    "Lu3+": (-840.1, HFE_TABLE1, "Lu3+ | [Xe]4f14 | –840.1 | 2.34 | 8 | 0.86 | 1.48"),
    "Y3+": (-824.6, HFE_TABLE1, "Y3+ | [Kr] | –824.6 | 2.36 | 8 | 0.90 | 1.46"),
    "Tb3+": (-812.6, HFE_TABLE1, "Tb3+ | [Xe]4f8 | –812.6 | 2.40 | 8.0–8.2 | 0.92 | 1.48"),
    "Gd3+": (-806.6, HFE_TABLE1, "Gd3+ | [Xe]4f7 | –806.6 | 2.39 | 8.0–9.9 | 0.94 | 1.45"),
    "In3+": (-951.2, HFE_TABLE1, "In3+ | [Kr]4d10 | –951.2 | 2.15 | 6 | 0.80 | 1.35"),
    "Th4+": (-1389.8, HFE_TABLE1, "Th4+ | [Rn] | –1389.8 | 2.45e | 9–11e | 0.94 | 1.51"),
    "Zr4+": (-1622.8, HFE_TABLE1, "Zr4+ | [Kr] | –1622.8 | 2.19c | 8c | 0.86 | 1.33"),
    "Bi3+": (-834.0, "doi:10.1021/jp309439f",
             "On the basis of the semicontinuum solvation model, the hydration Gibbs energies are "
             "−800 (exptl −834 kcal/mol), −1580 and −1490 kcal/mol for Bi(III), Te(IV), and "
             "Po(IV), respectively."),
}
# what a reference is, where it is not a table row of the Li/Merz targets (printed with the table)
HFE_REF_NOTES = {
    "Bi3+": "experimental value as quoted by Ayala, Martinez, Pappalardo & Sanchez Marcos, J. Phys. "
            "Chem. B 2012 (a quantum-chemical study; their own estimate is -800); the primary "
            "measurement behind -834 was not read. Fixed 2026-12-03 20:13 UTC (the Bi3+ "
            "method-check run started 20:14).",
}
# ions with no HFE reference read, and what the searches found (2026-12-03, ~45 look-ups by the
# sim helper on top of the ~20 of the earlier search; 2026-12-04, ~30 more: Marcus 1991 by title,
# ion names and table wording; the Li/Merz M(II) papers and their table pages; the AmberTools /
# ParmEd / pyMSMT sources, which hold parameters and fitting code but no target table; ion-specific
# Pb2+, Ga3+, Sc3+, Ra2+, Ac3+ HFE papers; 2026-12-04 17:13-17:20 UTC, ~32 more: the PMC table
# pages of PMC3728907 / PMC8173364 by table title (not stored; only PMC4306492's Table 1 is), the
# Li/Merz M(II) 12-6-4 and Zhen Li's 2023 dissertation (stored from its first page only), Marcus
# 1991 by table wording and by its DOI in source files (it is cited there for ionic radii, and in
# an ePC-SAFT paper whose table holds alkali/halide ions only), Kepp's and David & Vokhmin's
# hydration papers, Ga3+/Sc3+/Pb2+/Ra2+ HFE by ion, bug-tracker threads of simulation packages): printed, never a number
MARCUS_1991 = ("Marcus 1991 (doi:10.1039/FT9918702995) compiles '109 (mainly inorganic) ions "
               "ranging in their charges from –3 to +4', but its stored copies (RSC, studylib, "
               "scribd; re-checked 2026-12-04) show only its first page, before the table")
LI_MERZ_M2 = ("the Li/Merz M(II) sets - 12-6: J. Chem. Theory Comput. 2013, 9, 2733 (PMC3728907); "
              "12-6-4: Li & Merz, J. Chem. Theory Comput. 2014, 10, 289, doi:10.1021/ct400751u "
              "(PMC3960013; identifiers read 2026-12-04 in AmberTools-derived parameter-file "
              "headers: 'Taking into Account the Ion-Induced Dipole Interaction in the Nonbonded "
              "Model of Ions'); OPC-family 12-6-4: doi:10.1021/acs.jctc.0c00194 (PMC8173364: 'we "
              "parametrized the 12–6-4 model for the 16 divalent metal ions for which we have "
              "both experimental HFE and IOD values') - are stored as abstracts or first pages "
              "only, none with its table of targets")
HFE_NOT_FOUND = {
    "Ac3+": "no measured Ac3+ HFE found; a CCSD(T) study of An(III) hydration states that "
            "experimental Gibbs energies of hydration are 'available only for uranium and "
            "plutonium' (Heinz, Zhang & Dolg, J. Chem. Theory Comput. 2014, 10, 5593; no "
            "identifier found with the search tools); David & Vokhmin's model estimates for "
            "An(III) aquo ions (HAL in2p3-00020506) give no number in the stored abstract",
    "Sc3+": f"not in Li/Merz 2015 Table 1 (PMC4306492); {MARCUS_1991}",
    "Ga3+": f"as Sc3+: not in PMC4306492 Table 1; {MARCUS_1991}",
    "Pb2+": f"{LI_MERZ_M2}; {MARCUS_1991}",
    "Cu2+": "as Pb2+ (Li/Merz M(II) tables and Marcus 1991's table not readable here)",
    "Ra2+": "the abstract of the Ra2+ EXAFS + AIMD paper (doi:10.1016/j.isci.2022.104763) "
            "reports CN and distance, no HFE; no table with a Ra2+ HFE was read (as Pb2+)",
}


def hfe_table(write: bool = True) -> pd.DataFrame:
    """Simulated vs reference HFE with the verdicts; the 12-6 HFE controls first."""
    df = pd.read_csv(HFE_OUT)
    df["hfe_ref_kcal"] = df["ion"].map(lambda i: HFE_REFERENCES.get(i, (math.nan,))[0])
    df["hfe_ref_source"] = df["ion"].map(
        lambda i: HFE_REFERENCES[i][1] if i in HFE_REFERENCES else "no reference read")
    df["hfe_ref_quote"] = df["ion"].map(lambda i: HFE_REFERENCES.get(i, ("", "", ""))[2])
    df["hfe_dev_kcal"] = (df["hfe_sim_kcal"] - df["hfe_ref_kcal"]).round(1)
    df["hfe_dev_pct"] = (100 * df["hfe_dev_kcal"] / df["hfe_ref_kcal"].abs()).round(2)
    df["hfe_tol_kcal"] = (HFE_TOL_FRAC * df["hfe_ref_kcal"].abs()).round(1)
    # not included in hfe_sim: the -C4/r^4 term beyond the 0.9 nm cutoff (uniform water
    # density of the box), shown so the truncation's size is on record
    df["c4_tail_kcal"] = (-4 * math.pi * df["n_waters"] / df["edge_A"] ** 3
                          * df["c4_kcal_A4"] / 9.0).round(1)
    df["hfe_within_tol"] = [
        (abs(d) <= t) if not math.isnan(d) else None
        for d, t in zip(df["hfe_dev_kcal"], df["hfe_tol_kcal"], strict=True)]
    order = {ion: k for k, ion in enumerate(ORDER)}
    df = df.sort_values(["model", "ion"], key=lambda c: c.map(order) if c.name == "ion" else c,
                        ascending=[True, True], kind="stable").reset_index(drop=True)
    if write:
        df.to_csv(HFE_OUT, index=False)
    return df


def print_hfe_table() -> None:
    import json

    full = hfe_table()
    main_tag = json.dumps(HFE_SETTINGS, sort_keys=True)
    df = full[full["settings"] == main_tag]
    chk = full[full["settings"] != main_tag]
    struct = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame()
    print(f"\nHydration free energies (kcal/mol), TIP3P, {HFE_SETTINGS['n_windows']} "
          f"Gauss-Legendre windows x {HFE_SETTINGS['prod_ps']:g} ps + Widom LJ + finite-size "
          f"correction; tolerance {100 * HFE_TOL_FRAC:g} % of |reference|")
    print(f"{'ion':5s} {'model':7s} {'HFE sim':>8s} {'+/-':>4s} {'HFE ref':>8s} {'dev':>7s} "
          f"{'ok':>3s}  {'r sim/ref (A)':>14s} {'CN sim/ref':>11s}  reference")
    for r in df.itertuples(index=False):
        ok = "-" if r.hfe_within_tol is None or pd.isna(r.hfe_within_tol) else (
            "yes" if r.hfe_within_tol else "NO")
        s = struct[(struct["ion"] == r.ion) & (struct["model"] == r.model)] if len(struct) else []
        rr = (f"{s.iloc[0].r_sim_A:.3f}/{s.iloc[0].r_ref_A:.3f}" if len(s) else "")
        cn = (f"{s.iloc[0].cn_sim:.1f}/{s.iloc[0].cn_ref:g}" if len(s) else "")
        ref = "-" if pd.isna(r.hfe_ref_kcal) else f"{r.hfe_ref_kcal:8.1f}"
        dev = "-" if pd.isna(r.hfe_dev_kcal) else f"{r.hfe_dev_kcal:+7.1f}"
        print(f"{r.ion:5s} {r.model:7s} {r.hfe_sim_kcal:8.1f} {r.hfe_sim_se_kcal:4.1f} {ref:>8s} "
              f"{dev:>7s} {ok:>3s}  {rr:>14s} {cn:>11s}  {r.hfe_ref_source}")
    for r in chk.itertuples(index=False):
        base = df[(df["ion"] == r.ion) & (df["model"] == r.model)]
        if len(base):
            st = json.loads(r.settings)
            print(f"Method check {r.ion} {r.model}: {st['n_windows']} windows, seed "
                  f"{int(r.seed) if not pd.isna(r.seed) else '?'}: {r.hfe_sim_kcal:.1f} +/- "
                  f"{r.hfe_sim_se_kcal:.1f} vs {base.iloc[0].hfe_sim_kcal:.1f} "
                  f"({r.hfe_sim_kcal - base.iloc[0].hfe_sim_kcal:+.1f} kcal/mol)")
    c = df[(df["model"] == "12-6") & df["hfe_ref_kcal"].notna()]
    m = df[(df["model"] == "12-6-4") & df["hfe_ref_kcal"].notna()]
    if len(c):
        print(f"\nProtocol check (Li/Merz 12-6 HFE models, fitted by them to these targets): mean "
              f"deviation {c['hfe_dev_kcal'].mean():+.1f} kcal/mol, max |dev| "
              f"{c['hfe_dev_kcal'].abs().max():.1f} over {len(c)} ions.")
    if len(m):
        fitted = hfe_fitted_ions() & set(m["ion"])  # with a reference (Cu2+: proxy only)
        free = m[~m["ion"].isin(fitted)]
        print(f"12-6-4 (distance-fitted) models: {int(m['hfe_within_tol'].sum())}/{len(m)} within "
              f"{100 * HFE_TOL_FRAC:g} % of the reference HFE; mean deviation "
              f"{m['hfe_dev_kcal'].mean():+.1f} kcal/mol ({m['hfe_dev_pct'].mean():+.1f} %). "
              f"{int((df['model'] == '12-6-4').sum()) - len(m)} ions have no HFE reference read.")
        if fitted:
            print(f"  HFE a selection criterion (grid) for {', '.join(sorted(fitted))}: within by "
                  f"construction. Of the other models {int(free['hfe_within_tol'].sum())}/"
                  f"{len(free)} within {100 * HFE_TOL_FRAC:g} %.")
    for ion in GRID_HFE_IONS:
        bundled = df[(df["ion"] == ion) & (df["model"] == "12-6-4")]
        ok = bundled.iloc[0]["hfe_within_tol"] if len(bundled) else None
        if ok is not None and not pd.isna(ok) and not bool(ok):
            trade = hfe_tradeoff(ion, df, struct)
            for k, line in enumerate(trade):
                print(("" if k == 0 else "  ") + line)
            stability = shell_stability(ion) if trade else ""  # reads the grid runs once
            if stability:
                print(f"  shell stability (grid runs): {stability}")
    proxies = hfe_proxy_checks(df)
    if proxies:
        print(f"\nProxy HFE check (no experimental HFE read; target = the HFE this protocol gives "
              f"for the Li/Merz 12-6 HFE-set model, fitted by them to the experimental value; "
              f"tolerance {100 * HFE_TOL_FRAC:g} %; not a measurement, counted apart):")
        fitted = hfe_fitted_ions()
        for x in proxies:
            print(f"  {x['ion']:5s} 12-6-4 {x['hfe_1264_kcal']:8.1f} vs proxy "
                  f"{x['hfe_proxy_kcal']:8.1f} kcal/mol ({x['dev_kcal']:+.1f}, "
                  f"{x['dev_pct']:+.1f} %): {'within' if x['within_tol'] else 'OUTSIDE'}"
                  + (" (the proxy was a grid criterion: no independent check)"
                     if x["ion"] in fitted else ""))
        ctl = [x for x in hfe_proxy_checks(df, tuple(HFE_CONTROLS)) if x["ion"] in HFE_REFERENCES]
        if ctl:
            ref_ok = {r.ion: bool(r.hfe_within_tol) for r in df[df["model"] == "12-6-4"]
                      .itertuples(index=False) if r.ion in HFE_REFERENCES}
            same = sum(ref_ok.get(x["ion"]) == x["within_tol"] for x in ctl)
            print(f"  method check on the ions with a read reference and a Li/Merz HFE-set model: "
                  f"the proxy verdict equals the reference verdict for {same}/{len(ctl)} ("
                  + ", ".join(f"{x['ion']} {x['dev_pct']:+.1f} % vs proxy, "
                              f"{'within' if ref_ok.get(x['ion']) else 'outside'} vs reference"
                              for x in ctl) + ")")
        print(f"  {sum(x['within_tol'] for x in proxies)}/{len(proxies)} within; source of the "
              f"HFE set: {HFE_PROXY_SOURCE}")
    for ion, note in HFE_REF_NOTES.items():
        if ion in set(df["ion"]):
            print(f"{ion} reference: {note}")
    for ion, why in HFE_NOT_FOUND.items():
        if ion in set(df["ion"]) and ion not in HFE_REFERENCES:
            print(f"{ion} no HFE reference: {why}")
    t = df[df["model"] == "12-6-4"]
    if len(t):
        print(f"Not included: the C4 term beyond the 0.9 nm cutoff (cut there in every run of this "
              f"tool), -4 pi rho C4 / r_c = {t['c4_tail_kcal'].max():.1f} to "
              f"{t['c4_tail_kcal'].min():.1f} kcal/mol; standard-state terms (none applied: the "
              f"Li/Merz 12-6 controls meet their targets without).")


def hfe_proxy_checks(df: pd.DataFrame, ions: tuple[str, ...] = HFE_PROXY_IONS) -> list[dict]:
    """Per ion with both runs (main settings): the 12-6-4 model's HFE against the HFE of the
    Li/Merz 12-6 HFE-set model in the same protocol (the proxy target). ``ions``: HFE_PROXY_IONS,
    or the HFE_CONTROLS, which have a read reference too, to check the proxy method itself."""
    out = []
    for ion in ions:
        m = df[(df["ion"] == ion) & (df["model"] == "12-6-4")]
        c = df[(df["ion"] == ion) & (df["model"] == "12-6")]
        if TABLE.exists() and {"rmin2_A", "eps_kcal", "c4_kcal_A4"} <= set(m.columns):
            from chelscreen.simulate.hydration import read_1264_table

            t = read_1264_table(TABLE).get(ion)  # the bundled model's run, not an older one
            if t is not None:
                m = m[((m["rmin2_A"] - float(t["rmin2_A"])).abs() < 1e-3)
                      & ((m["c4_kcal_A4"] - float(t["c4_kcal_A4"])).abs() < 0.5)]
        if m.empty or c.empty:
            continue
        sim, proxy = float(m.iloc[-1]["hfe_sim_kcal"]), float(c.iloc[-1]["hfe_sim_kcal"])
        out.append({"ion": ion, "hfe_1264_kcal": sim, "hfe_proxy_kcal": proxy,
                    "dev_kcal": round(sim - proxy, 1),
                    "dev_pct": round(100 * (sim - proxy) / abs(proxy), 2),
                    "within_tol": hfe_within(sim, proxy)})
    return out


def _run_structure(ion: str, rmin2: float, c4: float, eps: float) -> tuple[float, float] | None:
    """(M-O, CN) of the stored structure run with these parameters: a grid run, else a --fit run
    (the fit log holds only Rmin/2; its C4 is the published/analogue one)."""
    g = _grid_done()
    g = g[(g["ion"] == ion) & ((g["rmin2_A"] - rmin2).abs() < 1e-3)
          & ((g["c4_kcal_A4"] - c4).abs() < 0.5) & ((g["eps_kcal"] - eps).abs() < 1e-4)]
    if len(g):
        return float(g.iloc[-1]["r_mean_A"]), float(g.iloc[-1]["cn"])
    flog = OUT.with_name("sim_ion_fit_log.csv")
    if flog.exists() and abs(c4 - c4_for(ion)[0]) < 0.5:
        f = pd.read_csv(flog)
        f = f[(f["ion"] == ion) & ((f["rmin2_A"] - rmin2).abs() < 1e-3)]
        if len(f):
            return float(f.iloc[-1]["r_mean_A"]), float(f.iloc[-1]["cn"])
    return None


def hfe_tradeoff(ion: str, df: pd.DataFrame, struct: pd.DataFrame) -> list[str]:
    """Every model of ``ion`` with an HFE run (main settings): its M-O, CN and HFE against the three
    targets, so the trade-off is printed from the stored runs (empty without an HFE reference)."""
    if ion not in HFE_REFERENCES:
        return []
    ref_r, ref_cn, cn_unc = REFERENCES[ion][:3]
    ref_h = HFE_REFERENCES[ion][0]
    lines, n_all = [], 0
    for r in df[df["ion"] == ion].itertuples(index=False):
        if r.model == "12-6-4" and len(struct):
            s = struct[(struct["ion"] == ion) & (struct["model"] == "12-6-4")]
            rc = (float(s.iloc[0]["r_sim_A"]), float(s.iloc[0]["cn_sim"])) if len(s) else None
        elif r.model.startswith("12-6-4"):
            rc = _run_structure(ion, float(r.rmin2_A), float(r.c4_kcal_A4), float(r.eps_kcal))
        else:
            continue
        ok_h = hfe_within(r.hfe_sim_kcal, ref_h)
        if rc is None:
            lines.append(f"{r.model:34s} C4 {r.c4_kcal_A4:5.0f}: HFE {r.hfe_sim_kcal:7.1f} "
                         f"({'within' if ok_h else 'outside'}); no structure run stored")
            continue
        ok_r, ok_cn = verdict(ion, *rc)
        n_all += ok_r and ok_cn and ok_h
        miss = [k for k, ok in (("M-O", ok_r), ("CN", ok_cn), ("HFE", ok_h)) if not ok]
        lines.append(f"{r.model:34s} C4 {r.c4_kcal_A4:5.0f}: M-O {rc[0]:.3f}, CN {rc[1]:.2f}, "
                     f"HFE {r.hfe_sim_kcal:7.1f} -> "
                     + ("all three within" if not miss else "misses " + ", ".join(miss)))
    head = (f"{ion} trade-off (targets: M-O {ref_r} +/- {DIST_TOL_A} A, CN {ref_cn:g} +/- "
            f"{max(1.0, cn_unc):g}, HFE {ref_h} +/- {100 * HFE_TOL_FRAC:g} %): "
            f"{n_all} of {len(lines)} models with an HFE run meet all three")
    return [head, *lines] if lines else []


def hfe_fitted_ions() -> set[str]:
    """Bundled 12-6-4 ions whose parameters were chosen with the HFE as a criterion (their HFE is
    then no independent check), read from the table's ``rmin2_source``."""
    from chelscreen.simulate.hydration import read_1264_table

    if not TABLE.exists():
        return set()
    return {ion for ion, r in read_1264_table(TABLE).items()
            if "HFE as grid criteria" in str(r.get("rmin2_source"))}


def _hfe_key(ion: str, model: str, sigma_nm: float, epsilon_kj: float,
             lp_d_A: float = 0.0) -> tuple:
    """Resume key of an ion model: its parameters, not its (editable) source text (a lone-pair
    site's distance included: the Widom cavity of a dumbbell is not the sphere's)."""
    lp = 0.0 if pd.isna(lp_d_A) else round(float(lp_d_A), 4)
    return (ion, model, round(float(sigma_nm), 6), round(float(epsilon_kj), 7), lp)


def hfe_run(plan: list[tuple[str, str]], settings: dict | None = None, seed: int = 5,
            alternatives: dict | None = None) -> int:
    """Resumable: (ion, model) pairs already in HFE_OUT with the same settings are skipped.
    ``alternatives``: (ion, label) -> (Rmin/2, eps, C4, why) for models not in the table
    (default HFE_ALTERNATIVES)."""
    import json

    from chelscreen.simulate.hydration import (
        IonModel,
        c4_to_openmm,
        charging_free_energy,
        finite_size_kcal,
        ion_model,
        rmin2_to_sigma_nm,
        water_frames,
        widom_lj_kcal,
    )
    from chelscreen.simulate.params import EPS_WATER, get_ion_parameters

    alternatives = HFE_ALTERNATIVES if alternatives is None else alternatives
    models = {}
    for i, mname in plan:
        alt = alternatives.get((i, mname))
        if isinstance(alt, IonModel):  # a model not described by (Rmin/2, eps, C4) alone
            models[(i, mname)] = alt
        elif alt is not None:
            rmin2, eps, c4, why = alt
            models[(i, mname)] = IonModel(i, get_ion_parameters(i).charge,
                                          rmin2_to_sigma_nm(rmin2), eps * 4.184,
                                          c4_to_openmm(c4), why)
        else:
            models[(i, mname)] = ion_model(i, mname)
    if HFE_WIDOM.exists():
        widom = pd.read_csv(HFE_WIDOM)
    else:
        widom = pd.DataFrame(columns=["ion", "model", "source", "sigma_nm", "epsilon_kJ"])
    widom["lp_d_A"] = widom["lp_d_A"].fillna(0.0) if "lp_d_A" in widom else 0.0
    have = {_hfe_key(r.ion, r.model, r.sigma_nm, r.epsilon_kJ, r.lp_d_A)
            for r in widom.itertuples(index=False)}
    todo = [k for k, m in models.items()
            if _hfe_key(k[0], k[1], m.sigma_nm, m.epsilon_kJ, m.lp_d_A) not in have]
    if todo:
        t0 = time.perf_counter()
        frames, edge = water_frames(400, equil_ps=2.0, prod_ps=20.0, frame_ps=0.1)
        mu = widom_lj_kcal([models[k] for k in todo], frames, edge, n_insert=500)
        new = pd.DataFrame([{"ion": k[0], "model": k[1], "source": models[k].source,
                             "sigma_nm": models[k].sigma_nm,
                             "epsilon_kJ": models[k].epsilon_kJ, "lp_d_A": models[k].lp_d_A,
                             "mu_lj_kcal": round(mu[j][0], 3),
                             "mu_lj_se_kcal": round(mu[j][1], 3), "n_frames": len(frames),
                             "n_insert_per_frame": 500, "edge_A": round(edge, 3)}
                            for j, k in enumerate(todo)])
        widom = pd.concat([widom, new], ignore_index=True)
        widom.to_csv(HFE_WIDOM, index=False)
        print(f"Widom LJ insertion for {len(todo)} models: {time.perf_counter() - t0:.0f} s",
              flush=True)
    old = pd.read_csv(HFE_OUT) if HFE_OUT.exists() else pd.DataFrame()
    rows = old.to_dict("records")
    done = {(r["ion"], r["model"], round(float(r["rmin2_A"]), 4), round(float(r["eps_kcal"]), 6),
             round(float(r["c4_kcal_A4"]), 2), r["settings"],
             0.0 if pd.isna(r.get("lp_d_A", 0.0)) else round(float(r.get("lp_d_A", 0.0)), 4))
            for r in rows}
    settings = settings or HFE_SETTINGS
    tag = json.dumps(settings, sort_keys=True)
    for (ion, mname), m in models.items():
        if (ion, mname, round(m.rmin2_A, 4), round(m.epsilon_kJ / 4.184, 6),
                round(m.c4_kJ_nm4 / 4.184e-4, 2), tag, round(m.lp_d_A, 4)) in done:
            continue
        r = charging_free_energy(m, seed=seed, n_waters=400,
                                 progress=lambda s: print(s, flush=True), **settings)
        key = _hfe_key(ion, mname, m.sigma_nm, m.epsilon_kJ, m.lp_d_A)
        w = widom[[_hfe_key(*x) == key for x in
                   widom[["ion", "model", "sigma_nm", "epsilon_kJ", "lp_d_A"]]
                   .itertuples(index=False)]
                  ].iloc[-1]
        fs = finite_size_kcal(m.charge, r["edge_A"], EPS_WATER)
        rows.append({"ion": ion, "model": mname, "charge": m.charge,
                     "rmin2_A": round(m.rmin2_A, 4), "eps_kcal": round(m.epsilon_kJ / 4.184, 6),
                     "c4_kcal_A4": round(m.c4_kJ_nm4 / (4.184e-4), 2),
                     "lp_d_A": m.lp_d_A,
                     "dG_charge_c4_kcal": round(r["dG_charge_c4_kcal"], 2),
                     "dG_charge_c4_se_kcal": round(r["dG_charge_c4_se_kcal"], 2),
                     "mu_lj_kcal": float(w["mu_lj_kcal"]),
                     "mu_lj_se_kcal": float(w["mu_lj_se_kcal"]),
                     "finite_size_kcal": round(fs, 2),
                     "hfe_sim_kcal": round(r["dG_charge_c4_kcal"] + float(w["mu_lj_kcal"]) + fs,
                                           1),
                     "hfe_sim_se_kcal": round(math.hypot(r["dG_charge_c4_se_kcal"],
                                                         float(w["mu_lj_se_kcal"])), 1),
                     "windows": json.dumps([{k: round(v, 4) for k, v in x.items()}
                                            for x in r["windows"]]),
                     "edge_A": round(r["edge_A"], 3), "n_waters": r["n_waters"],
                     "wall_s": round(r["wall_s"], 1), "platform": r["platform"],
                     "settings": tag, "seed": seed, "source": m.source})
        pd.DataFrame(rows).to_csv(HFE_OUT, index=False)
        print(f"{ion} {mname}: HFE {rows[-1]['hfe_sim_kcal']} +/- {rows[-1]['hfe_sim_se_kcal']}"
              f" kcal/mol ({r['wall_s']:.0f} s)", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("OPENMM_CPU_THREADS", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="refit Rmin/2 and rewrite ion_1264.csv")
    ap.add_argument("--ions", default=",".join(ORDER))
    ap.add_argument("--prod-ps", type=float, default=12.0)
    ap.add_argument("--refit-c4-zero", default="",
                    help="ions whose fitted model failed the check: refit Rmin/2 with C4 = 0, "
                         "validate, and keep the refit only if it passes")
    ap.add_argument("--record", action="store_true",
                    help="only write the water checks of sim_ion_validation.csv into the table")
    ap.add_argument("--seeds", default="3", help="seeds of the q_water check (e.g. 3,4,5)")
    ap.add_argument("--qwater", action="store_true",
                    help="only the q_water check on Gd(III) complexes (explicit protocol)")
    ap.add_argument("--table", action="store_true",
                    help="only print the table of the stored results (no simulation)")
    ap.add_argument("--grid", default="",
                    help="(C4, epsilon) grid scan for these ions (GRID), Rmin/2 solved per pair; "
                         "appends to sim_ion_grid.csv, resumable")
    ap.add_argument("--apply-grid", default="",
                    help="pick each ion's grid pair by the stated rule, validate it (3 + 12 ps) "
                         "and write it to ion_1264.csv only if it passes")
    ap.add_argument("--grid-hfe", default="",
                    help="HFE of the grid pairs that meet distance and CN (GRID_HFE_IONS; the "
                         "HFE then enters --apply-grid's rule for them); resumable")
    ap.add_argument("--cn-miss", action="store_true",
                    help="with --grid-hfe: also the HFE of pairs that meet the distance but miss "
                         "the CN (shown only, never selectable)")
    ap.add_argument("--hfe", action="store_true",
                    help="hydration free energies of the 12-6-4 models and the 12-6 controls "
                         "(resumable; HFE_PLAN)")
    ap.add_argument("--hfe-check", action="store_true",
                    help="method check: HFE_CHECK_PLAN with 7 windows and another seed")
    ap.add_argument("--hfe-table", action="store_true",
                    help="only print the stored HFE table (no simulation)")
    ap.add_argument("--lp-grid", action="store_true",
                    help="Pb2+ lone-pair-site grid (LP_GRID), Rmin/2 solved per triple; resumable")
    ap.add_argument("--lp-hfe", action="store_true",
                    help="HFE of the lone-pair candidates (resumable) and the rule's pick")
    ap.add_argument("--lp-apply", action="store_true",
                    help="validate the lone-pair pick on fresh seeds; bundle it only if it passes")
    args = ap.parse_args(argv)
    if args.lp_grid:
        lp_grid_scan()
        lp_report()
        return 0
    if args.lp_hfe:
        return lp_hfe()
    if args.lp_apply:
        return lp_apply(args.prod_ps)
    if args.hfe:
        hfe_run(HFE_PLAN + list(HFE_ALTERNATIVES))
        print_hfe_table()
        return 0
    if args.hfe_check:
        hfe_run(HFE_CHECK_PLAN, settings=HFE_CHECK_SETTINGS, seed=6)
        print_hfe_table()
        return 0
    if args.hfe_table:
        print_hfe_table()
        return 0
    if args.table:
        refresh_references()
        record_validation(pd.read_csv(OUT))
        print_table(pd.read_csv(OUT))
        return 0
    if args.grid:
        from chelscreen.simulate.hydration import read_1264_table

        for ion in [i.strip() for i in args.grid.split(",") if i.strip()]:
            grid_scan(ion, float(read_1264_table()[ion]["rmin2_A"]))
        return 0
    if args.grid_hfe:
        return grid_hfe([i.strip() for i in args.grid_hfe.split(",") if i.strip()],
                        cn_miss=args.cn_miss)
    if args.apply_grid:
        return apply_grid([i.strip() for i in args.apply_grid.split(",") if i.strip()],
                          args.prod_ps)
    if args.qwater:
        return qwater_check(tuple(int(x) for x in args.seeds.split(",")))
    if args.record:
        record_validation(pd.read_csv(OUT))
        return 0
    if args.refit_c4_zero:
        return refit_c4_zero([i.strip() for i in args.refit_c4_zero.split(",") if i.strip()],
                             args.prod_ps)
    from chelscreen.simulate.hydration import ion_model, read_1264_table, simulate_aqua_ion

    ions = [i.strip() for i in args.ions.split(",") if i.strip()]
    t0 = time.perf_counter()
    results, fitlog = [], []
    base = {}
    for ion in ions:
        r = simulate_aqua_ion(ion_model(ion, "12-6"), equil_ps=3, prod_ps=args.prod_ps, seed=1)
        base[ion] = r
        results.append(r)
        print(f"{ion} 12-6 HFE: r {r['r_mean_A']:.3f} CN {r['cn_mean']:.2f} ({r['wall_s']:.0f} s)",
              flush=True)
    if args.fit:
        rows = {r["ion"]: r for r in read_1264_table().values()} if TABLE.exists() else {}
        for ion in ions:
            rows[ion] = fit_ion(ion, base[ion]["r_mean_A"], fitlog)
        write_table([rows[i] for i in sorted(rows)])
        flog = OUT.with_name("sim_ion_fit_log.csv")
        new = pd.DataFrame(fitlog)
        if flog.exists():  # earlier fits of other ions are kept
            prev = pd.read_csv(flog)
            new = pd.concat([prev[~prev["ion"].isin(ions)], new], ignore_index=True)
        new.to_csv(flog, index=False)
    for ion in ions:
        r = simulate_aqua_ion(ion_model(ion, "12-6-4"), equil_ps=3, prod_ps=args.prod_ps, seed=2)
        results.append(r)
    rows = []
    for r in results:
        ok_r, ok_cn = verdict(r["ion"], r["r_mean_A"], r["cn_mean"])
        ref = REFERENCES[r["ion"]]
        rows.append({"ion": r["ion"], "model": r["model"], "source": r["source"],
                     "r_sim_A": round(r["r_mean_A"], 3), "r_peak_A": round(r["r_peak_A"], 3),
                     "r_ref_A": ref[0],
                     "cn_sim": round(r["cn_mean"], 2), "cn_sd": round(r["cn_sd"], 2),
                     "shell_asym": round(r.get("shell_asym", math.nan), 3),
                     "cn_ref": ref[1], "r_within_tol": ok_r, "cn_within_tol": ok_cn,
                     "ref_method": ref[3], "ref": ref[4], "ref_quote": ref[5],
                     "rmin2_A": round(r["rmin2_A"], 4), "c4_kcal_A4": r["c4_kcal_A4"],
                     "n_waters": r["n_waters"], "prod_ps": r["prod_ps"],
                     "wall_s": round(r["wall_s"], 1), "platform": r["platform"]})
    df = pd.DataFrame(rows)
    if OUT.exists():  # rows of ions not run this time are kept
        old = pd.read_csv(OUT)
        df = pd.concat([old[~old["ion"].isin(ions)], df], ignore_index=True)
    order = {ion: k for k, ion in enumerate(ORDER)}
    df = df.sort_values(["model", "ion"], key=lambda c: c.map(order) if c.name == "ion" else c,
                        kind="stable").reset_index(drop=True)
    df.to_csv(OUT, index=False)
    record_validation(df)
    print_table(df)
    print(f"Run: {time.perf_counter() - t0:.0f} s wall. wrote {OUT}")
    return 0


def print_table(df: pd.DataFrame) -> None:
    """The validation table: ion, model, simulated vs reference M-O and CN, verdicts, sources."""
    n_w = int(df["n_waters"].median())
    print(f"\nAqua ions in TIP3P (~{n_w} waters, 3 + {df['prod_ps'].max():g} ps, 300 K); distance "
          f"tolerance +/- {DIST_TOL_A} A, CN +/- max(1, ref. uncertainty)")
    print(f"{'ion':5s} {'model':7s} {'r sim':>6s} {'r ref':>6s} {'ok':>3s} {'CN sim':>6s} "
          f"{'CN ref':>6s} {'ok':>3s}  reference; parameter source")
    for r in df.itertuples(index=False):
        print(f"{r.ion:5s} {r.model:7s} {r.r_sim_A:6.3f} {r.r_ref_A:6.3f} "
              f"{'yes' if r.r_within_tol else 'NO':>3s} {r.cn_sim:6.2f} {r.cn_ref:6.2f} "
              f"{'yes' if r.cn_within_tol else 'NO':>3s}  {r.ref}; {str(r.source)[:100]}")
    for ion, why in LIMITATIONS.items():
        print(f"{ion:5s} limitation: {why}")
        asym = (df[(df["ion"] == ion) & (df["model"] == "12-6-4")]["shell_asym"].dropna()
                if "shell_asym" in df else [])
        if len(asym):
            print(f"      shell asymmetry of the 12-6-4 model (|mean unit vector| of its "
                  f"first-shell waters, frame mean): {asym.iloc[0]:.3f}; ~0 = spread over the "
                  f"whole sphere (holodirected), 0.5 = spread evenly over one hemisphere")
            others = df[(df["model"] == "12-6-4") & (df["ion"] != ion)
                        & ~df["ion"].isin(list(LIMITATIONS))].dropna(subset=["shell_asym"])
            if len(others):
                print("      the same figure for 12-6-4 ions without a stereoactive lone pair: "
                      + ", ".join(f"{o.ion} {o.shell_asym:.3f}"
                                  for o in others.itertuples(index=False)))
        trade = distance_cn_tradeoff(ion) if ion in GRID else []
        if trade and not any(r.ion == ion and r.model == "12-6-4" and r.cn_within_tol
                             for r in df.itertuples(index=False)):
            print(f"      distance vs CN (validate_ions.py --grid {ion}): {trade[0]}")
            for line in trade[1:-1]:
                print(f"        {line}")
            print(f"      {trade[-1]}; the bundled model keeps the distance and its FAIL.")
        if ion in GRID and shell_stability(ion):
            print(f"      shell stability (grid runs): {shell_stability(ion)}")
    for ion, why in NOT_VALIDATED.items():
        print(f"{ion:5s} not validated: {why}")
    print("Pb2+ published hydration structures (they disagree; the model is checked against the "
          "measured one):")
    print(f"      reference choice: {PB_REFERENCE_CHOICE}")
    for method, cn, r, src, _q in PB_SPREAD:
        print(f"      {method:26s} CN {cn:30s} Pb-O {r or '-':5s}  {src[:90]}")
    print("Hydration free energies: `--hfe-table` (benchmarks/results/sim_hfe_validation.csv).")
    flagged = df["ref"].astype(str).str.startswith(NO_ID)
    m = df[(df["model"] == "12-6-4") & ~flagged]
    b = df[(df["model"] == "12-6") & ~flagged]
    cn_free = m[~m["source"].astype(str).str.contains(CN_CHOSEN_MARK)]
    print(f"\nReferences with a DOI/PMID/PMC identifier ({len(m)} ions): 12-6-4 "
          f"{int((m['r_within_tol'] & m['cn_within_tol']).sum())}/{len(m)} within both "
          f"tolerances (M-O is the fitting target: within by construction); CN, not fitted: "
          f"{int(cn_free['cn_within_tol'].sum())}/{len(cn_free)} of the ions whose CN played no "
          f"part in choosing their parameters; 12-6 HFE baseline: "
          f"{int((b['r_within_tol'] & b['cn_within_tol']).sum())}/{len(b)}.")
    for r in df[(df["model"] == "12-6-4") & flagged].itertuples(index=False):
        print(f"Outside these figures (reference without identifier): {r.ion} M-O "
              f"{r.r_sim_A:.3f} vs {r.r_ref_A}, CN {r.cn_sim:.2f} vs {r.cn_ref:g} "
              f"({'pass' if r.r_within_tol and r.cn_within_tol else 'FAIL'}).")


# the parameters of these ions were chosen with the CN check (c4_source says so): their CN is no
# independent check (Ga3+: C4 = 0 refit kept because it passed; In3+: CN a grid criterion)
CN_CHOSEN_MARK = "failed the"


def refresh_references() -> None:
    """Rewrite the reference columns of the stored result tables from REFERENCES / Q_REFERENCES
    (after a reference changed, without re-running the simulations)."""
    from chelscreen.simulate.hydration import read_1264_table

    table = read_1264_table(TABLE)
    df = pd.read_csv(OUT)
    for k, r in df.iterrows():
        if r["model"] == "12-6-4" and r["ion"] in table:  # source text as in today's table
            t = table[r["ion"]]
            tail = str(r["source"]).partition("; water check")[1:]
            df.loc[k, "source"] = (f"12-6-4: {t['c4_source']}; Rmin/2 {t['rmin2_source']}"
                                   + "".join(tail))
        ref = REFERENCES[r["ion"]]
        df.loc[k, ["r_ref_A", "cn_ref", "ref_method", "ref", "ref_quote"]] = [
            ref[0], ref[1], ref[3], ref[4], ref[5]]
        ok_r, ok_cn = verdict(r["ion"], float(r["r_sim_A"]), float(r["cn_sim"]))
        df.loc[k, ["r_within_tol", "cn_within_tol"]] = [ok_r, ok_cn]
    df.to_csv(OUT, index=False)
    qout = OUT.with_name("sim_qwater_validation.csv")
    if qout.exists():
        q = pd.read_csv(qout)
        for k, r in q.iterrows():
            ref = Q_REFERENCES[r["complex"].split("-", 1)[1]]
            q.loc[k, ["ref", "ref_quote"]] = [ref[2], ref[3]]
        q.to_csv(qout, index=False)


if __name__ == "__main__":
    sys.exit(main())
