"""The OpenMM translation of RDKit's MMFF94 must reproduce RDKit's energy."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from chelscreen.simulate.mmff import (
    add_mmff_forces,
    extract_terms,
    openmm_mmff_energy,
    rdkit_mmff_energy,
)

LIGANDS = {
    "DOTA": "OC(=O)CN1CCN(CC(=O)O)CCN(CC(=O)O)CCN(CC(=O)O)CC1",
    "DOTA4-": "[O-]C(=O)CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1",
    "pyridyl-hydroxamate": "c1ccncc1C(=O)NO",
    "18-crown-6": "C1COCCOCCOCCOCCOCCO1",
    "EDTMP": "OP(=O)(O)CN(CCN(CP(=O)(O)O)CP(=O)(O)O)CP(=O)(O)O",
    "acetonitrile (linear angle)": "CC#N",
}


def _mol(smi: str, seed: int = 7):
    m = Chem.AddHs(Chem.MolFromSmiles(smi))
    assert AllChem.EmbedMolecule(m, randomSeed=seed) == 0
    AllChem.MMFFOptimizeMolecule(m, maxIters=30)  # not a minimum: all terms non-zero
    return m


@pytest.mark.parametrize("name", list(LIGANDS))
@pytest.mark.parametrize("layout", ["separate", "compact"])
def test_total_energy_matches_rdkit(name, layout):
    m = _mol(LIGANDS[name])
    e_omm = openmm_mmff_energy(m, layout=layout)
    e_rd = rdkit_mmff_energy(m)
    assert abs(e_omm - e_rd) < 0.1, (name, layout, e_omm, e_rd)


def test_compact_layout_merges_bend_and_stretch_bend():
    import openmm as mm

    terms = extract_terms(_mol(LIGANDS["DOTA"]))
    separate = add_mmff_forces(mm.System(), terms, layout="separate")
    compact = add_mmff_forces(mm.System(), terms)
    assert len(separate) == 6 and len(compact) == 5
    assert not any(isinstance(f, mm.CustomAngleForce) for f in compact)
    linear = add_mmff_forces(mm.System(), extract_terms(_mol(LIGANDS["acetonitrile (linear angle)"])))
    assert sum(isinstance(f, mm.CustomAngleForce) for f in linear) == 1  # the linear bend
    with pytest.raises(ValueError, match="layout"):
        add_mmff_forces(mm.System(), terms, layout="bogus")


@pytest.mark.parametrize("name", ["DOTA4-", "acetonitrile (linear angle)", "EDTMP"])
def test_compact_and_separate_give_the_same_energy_and_forces(name):
    """The merged (compact) force layout used for MD is numerically the per-term one."""
    import numpy as np
    import openmm as mm

    m = _mol(LIGANDS[name], seed=5)
    terms = extract_terms(m)
    xyz = np.asarray(m.GetConformer().GetPositions()) / 10.0
    xyz = xyz + np.random.default_rng(0).normal(0.0, 0.005, xyz.shape)  # off the minimum
    out = {}
    for layout in ("separate", "compact"):
        system = mm.System()
        for a in m.GetAtoms():
            system.addParticle(a.GetMass())
        add_mmff_forces(system, terms, layout=layout)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001),
                         mm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(xyz)
        st = ctx.getState(getEnergy=True, getForces=True)
        out[layout] = (st.getPotentialEnergy()._value,
                       np.asarray(st.getForces(asNumpy=True)._value))
    (e_s, f_s), (e_c, f_c) = out["separate"], out["compact"]
    assert abs(e_s) > 1.0
    assert abs(e_c - e_s) < 1e-6 * max(1.0, abs(e_s))
    assert np.abs(f_c - f_s).max() < 1e-4 * max(1.0, np.abs(f_s).max())


def test_each_term_matches_rdkit():
    import numpy as np
    import openmm as mm

    m = _mol(LIGANDS["DOTA"], seed=3)
    terms = extract_terms(m)
    system = mm.System()
    for a in m.GetAtoms():
        system.addParticle(a.GetMass())
    forces = add_mmff_forces(system, terms, layout="separate")
    for g, f in enumerate(forces):
        f.setForceGroup(g)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(np.asarray(m.GetConformer().GetPositions()) / 10.0)
    off = dict(bond=False, angle=False, stretch_bend=False, oop=False, torsion=False, vdw=False,
               ele=False)
    names = ["bond", "angle", "stretch_bend", "oop", "torsion", "nonbonded"]
    for g, name in enumerate(names):
        e = ctx.getState(getEnergy=True, groups={g}).getPotentialEnergy()._value
        sw = dict(off)
        if name == "nonbonded":
            sw.update(vdw=True, ele=True)
        else:
            sw[name] = True
        ref = rdkit_mmff_energy(m, **sw)
        assert abs(e - ref) < 0.05, (name, e, ref)
        assert abs(ref) > 0.1 or name == "oop"  # the term is really exercised


def test_forces_match_rdkit_gradient():
    import numpy as np
    import openmm as mm

    m = _mol(LIGANDS["pyridyl-hydroxamate"])
    terms = extract_terms(m)
    system = mm.System()
    for a in m.GetAtoms():
        system.addParticle(a.GetMass())
    add_mmff_forces(system, terms)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(np.asarray(m.GetConformer().GetPositions()) / 10.0)
    f_omm = np.asarray(ctx.getState(getForces=True).getForces(asNumpy=True)._value)
    ff = AllChem.MMFFGetMoleculeForceField(m, AllChem.MMFFGetMoleculeProperties(m),
                                           nonBondedThresh=1000.0)
    grad = np.asarray(ff.CalcGrad()).reshape(-1, 3) * 4.184 * 10.0  # kcal/mol/A -> kJ/mol/nm
    assert np.abs(f_omm + grad).max() < 0.5


def test_metal_cannot_be_typed():
    from chelscreen.errors import SimulationError

    m = Chem.AddHs(Chem.MolFromSmiles("[Lu+3]"))
    with pytest.raises(SimulationError):
        extract_terms(m)


def test_complex_system_energy_is_the_same_in_both_layouts():
    """Whole MD system (ligand + Lu3+ + GBSA, H-bond constraints, HMR) before/after merging."""
    import numpy as np
    import openmm as mm

    from chelscreen.simulate.build import make_system
    from chelscreen.simulate.params import get_ion_parameters

    m = _mol("[O-]C(=O)CN(CC(=O)[O-])CC(=O)[O-]", seed=2)  # NTA3-
    xyz = np.asarray(m.GetConformer().GetPositions()) / 10.0
    o_idx = [a.GetIdx() for a in m.GetAtoms() if a.GetSymbol() == "O"]
    metal = xyz[o_idx].mean(axis=0)
    pos = np.vstack([xyz, metal])
    energies = {}
    for layout in ("separate", "compact"):
        system, _ = make_system(m, get_ion_parameters("Lu3+"), solvent="implicit", hmr=True,
                                layout=layout)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001),
                         mm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(pos)
        energies[layout] = ctx.getState(getEnergy=True).getPotentialEnergy()._value
    assert abs(energies["separate"]) > 10.0
    assert abs(energies["compact"] - energies["separate"]) < 1e-6 * abs(energies["separate"])


def test_ion_pair_force_matches_the_nonbonded_force_it_replaced():
    """Ion-ligand 12-6 LJ + Coulomb as one CustomBondForce (default) against the old
    construction (a NoCutoff NonbondedForce with every ligand-ligand pair excluded): same energy
    and forces, in both MMFF layouts, implicit (GBSA) and vacuum, Lu3+ and Pb2+."""
    import numpy as np
    import openmm as mm

    from chelscreen.simulate.build import make_system
    from chelscreen.simulate.params import get_ion_parameters

    m = _mol("[O-]C(=O)CN(CC(=O)[O-])CC(=O)[O-]", seed=2)  # NTA3-
    xyz = np.asarray(m.GetConformer().GetPositions()) / 10.0
    o_idx = [a.GetIdx() for a in m.GetAtoms() if a.GetSymbol() == "O"]
    pos = np.vstack([xyz, xyz[o_idx].mean(axis=0) + 0.02])
    ref = mm.Platform.getPlatformByName("Reference")
    for ion in ("Lu3+", "Pb2+"):
        for layout in ("compact", "separate"):
            for solvent in ("implicit", "vacuum"):
                out = {}
                for old in (True, False):
                    system, _ = make_system(m, get_ion_parameters(ion), solvent=solvent,
                                            hmr=True, layout=layout, ion_nonbonded=old)
                    has_nb = any(isinstance(f, mm.NonbondedForce) for f in system.getForces())
                    assert has_nb == old
                    ctx = mm.Context(system, mm.VerletIntegrator(0.001), ref)
                    ctx.setPositions(pos)
                    st = ctx.getState(getEnergy=True, getForces=True)
                    out[old] = (st.getPotentialEnergy()._value,
                                np.asarray(st.getForces(asNumpy=True)._value))
                (e_old, f_old), (e_new, f_new) = out[True], out[False]
                assert abs(e_old) > 100.0
                assert e_new == pytest.approx(e_old, rel=1e-9, abs=1e-6), (ion, layout, solvent)
                assert np.abs(f_new - f_old).max() < 1e-6 * max(1.0, np.abs(f_old).max())
