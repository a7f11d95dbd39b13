"""Regression tests for code-review findings (benchmarks/results/code_review.md H1, H2, M4, L1):
each failed on main for the reason stated in its docstring before the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chelscreen import rank, screening
from chelscreen.reporting import summary_rows

EDTA = "OC(=O)CN(CC(O)=O)CCN(CC(O)=O)CC(O)=O"


@pytest.fixture(scope="module")
def conjugate_screen():
    return screening.screen(["DOTA", "DOTATATE", "NOTA"], ["Lu-177"], out=None, progress=False,
                            labeling=False)


def test_screen_output_ranks_a_conjugate_with_its_core(conjugate_screen):
    """benchmarks/results/code_review.md H1 (fixed on main by 9c74ab0): the streamed assembly kept the rank but dropped
    ``ranked_with`` and the conjugate note, so the conjugate competed with its own core."""
    by = conjugate_screen.set_index("chelator")
    assert by.loc["DOTATATE", "rank"] == by.loc["DOTA", "rank"]
    assert by.loc["DOTATATE", "ranked_with"] == "DOTA", by["ranked_with"].tolist()
    assert str(by.loc["DOTATATE", "why"]).startswith("conjugate of DOTA")
    assert summary_rows(conjugate_screen)[0]["second"]["chelator"] == "NOTA"


def test_the_summary_counts_chelating_cores_not_conjugates(conjugate_screen):
    assert summary_rows(conjugate_screen)[0]["n"] == 2


@pytest.mark.parametrize("nuclide, metal, loss", [("Bi-213", "Bi3+", 0.6), ("Ga-68", "Ga3+", 0.55),
                                                  ("Ac-225", "Ac3+", 0.01)])
def test_an_unknown_labeling_never_beats_a_proven_one(nuclide, metal, loss):
    base = dict(smiles=EDTA, radionuclide=nuclide, metal=metal, logK_pred=25.0, logK_sd=1.0,
                status="ok", message="")
    df = pd.DataFrame([
        dict(base, chelator="proven, heated", mild_labeling_prob=0.0, labeling_basis="precedent",
             decay_loss_frac=loss),
        dict(base, chelator="unknown", mild_labeling_prob=np.nan, labeling_basis="insufficient",
             decay_loss_frac=np.nan)])
    out = rank.score_pairs(df).set_index("chelator")
    assert out.loc["proven, heated", "score"] >= out.loc["unknown", "score"]
    assert out.loc["proven, heated", "labeling_score"] >= out.loc["unknown", "labeling_score"]


def test_a_failed_streamed_assembly_prints_no_traceback(tmp_path):
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        from chelscreen import screening
        from chelscreen.errors import ChelscreenError
        def each(part, a, b):
            if a > 0:
                raise ChelscreenError("simulated failure while streaming")
            return part
        try:
            screening.screen(["DOTA", "NOTA"], ["Lu-177"], out={str(tmp_path)!r}, chunk_size=1,
                             progress=False, labeling=False, each_part=each)
        except ChelscreenError as exc:
            print("caught:", exc)
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert "caught: simulated failure" in proc.stdout, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "results.parquet").exists()


@pytest.mark.parametrize("second", ["x", None])
def test_a_part_of_another_type_or_shape_is_a_one_line_error_naming_the_column(tmp_path, second):
    """code_review.md M4: the first streamed part fixed the Parquet schema, and a later part
    whose column held another type (1, then "x") raised pyarrow's ArrowInvalid at assembly (a
    part without the column: a CSV whose rows no longer matched its header)."""
    from chelscreen.errors import ChelscreenError

    def each(part, a, b):
        if a == 0:
            return part.assign(extra=pd.Series([1] * len(part), dtype=object))
        return part if second is None else part.assign(extra=second)

    with pytest.raises(ChelscreenError, match="'extra'") as info:
        screening.screen(["DOTA", "NOTA"], ["Lu-177"], out=tmp_path, chunk_size=1,
                         progress=False, labeling=False, report=False, each_part=each)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "results.parquet").exists()
    assert not (tmp_path / "results.csv").exists()


@pytest.mark.parametrize("spelling", ["Bi-213", "213Bi", "bi213", "[213Bi]"])
def test_the_labeling_span_reads_every_nuclide_spelling(spelling):
    """benchmarks/results/code_review.md L1: '213Bi' silently got the long-lived span (a second, hand-written parser)."""
    assert rank.labeling_span([spelling])[0] == pytest.approx(rank.labeling_span(["Bi-213"])[0])
    assert rank.labeling_span([spelling])[0] > 0.7
