"""Self-contained HTML report of a screen, rendered from a jinja2 template.

:func:`report` (also ``chelscreen.report``) writes the page for the DataFrame returned by
:func:`chelscreen.screen`; :func:`render_report` returns it as a string. The first screen
answers "which chelator for which radionuclide": a summary table (best choice, runner-up,
whether they are distinguishable, the evidence behind the pick, in domain or not) and a table
of contents. Then a heatmap normalized within each radionuclide (score relative to the best,
best cell marked; :func:`heatmap`), and per radionuclide a banner when every estimate is an
extrapolation, the ranked table with intervals and ``p_best``, and a card per top pair
(structure, reasons, scores, labeling conditions, decay chain with the daughters' fate).
Inline CSS, base64 PNG, inline SVG: nothing is loaded from the network.

>>> import chelscreen
>>> df = chelscreen.screen(["DOTA", "macropa"], ["Ac-225"], out=None)   # doctest: +SKIP
>>> chelscreen.report(df, "report.html")                                 # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
import logging
from datetime import datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MAX_HEATMAP_ROWS = 40
TABLE_ROWS = 15
CARDS_PER_NUCLIDE = 3


# --------------------------------------------------------------------------------------------
# small formatting helpers (used by the template as filters)
# --------------------------------------------------------------------------------------------
def _finite(x) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def _num(x, nd: int = 2) -> str:
    return f"{float(x):.{nd}f}" if _finite(x) else ""


def _human_time(seconds) -> str:
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(s):
        return "stable" if s == np.inf else ""
    for unit, div in (("y", 31557600.0), ("d", 86400.0), ("h", 3600.0), ("min", 60.0),
                      ("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= div:
            return f"{s / div:.3g} {unit}"
    return f"{s:.3g} s"


def _text(x) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return str(x)


def chelator_rows(result: pd.DataFrame) -> pd.DataFrame:
    """The rows that compete in the ranking: conjugates ranked with their chelating core
    (non-empty ``ranked_with``, see :func:`chelscreen.rank.add_rank`) are left out."""
    if "ranked_with" not in result.columns:
        return result
    rw = result["ranked_with"].map(_text)
    return result[rw == ""]


def _conjugates_of(result: pd.DataFrame, nuc: str, chelator: str) -> list[str]:
    if "ranked_with" not in result.columns:
        return []
    sub = result[(result["radionuclide"] == nuc) & (result["ranked_with"].map(_text) == chelator)]
    return [str(c) for c in sub["chelator"]]


# --------------------------------------------------------------------------------------------
# pictures
# --------------------------------------------------------------------------------------------
def relative_scores(result: pd.DataFrame, max_rows: int = MAX_HEATMAP_ROWS) -> pd.DataFrame:
    """Chelator × radionuclide matrix of ``score`` divided by the best score of each radionuclide.

    Rows: the ``max_rows`` chelators with the highest relative score anywhere (input order among
    equals); columns: radionuclides in screen order. 1.0 marks the best chelator of a column.
    Conjugates ranked with their chelating core are not rows of their own.
    """
    result = chelator_rows(result)
    nuclides = list(dict.fromkeys(result["radionuclide"]))
    piv = result.pivot_table(index="chelator", columns="radionuclide", values="score",
                             aggfunc="max", sort=False).reindex(columns=nuclides)
    # a streamed screen's view holds some chelators for a few radionuclides only (they are in
    # a top-N table, not among the heatmap's chelators): no row of blank cells for them. A
    # pair that exists but has no score (an error) stays a cell of its own (drawn empty).
    present = pd.crosstab(result["chelator"], result["radionuclide"]).reindex(
        index=piv.index, columns=nuclides, fill_value=0)
    complete = set(present.index[(present > 0).all(axis=1)])
    order = list(dict.fromkeys(result["chelator"]))
    piv = piv.reindex([c for c in order if c in piv.index and c in complete])
    best = piv.max(axis=0)
    rel = piv / best.where(best > 0)
    if len(rel) > max_rows:
        keep = rel.max(axis=1).sort_values(ascending=False, kind="stable").index[:max_rows]
        rel = rel.loc[[c for c in rel.index if c in set(keep)]]
    return rel


def heatmap(result: pd.DataFrame, path: str | Path | None = None, *,
            max_rows: int = MAX_HEATMAP_ROWS):
    """Heatmap of the score relative to the best chelator of each radionuclide.

    Each column is normalized to its best score (1.0, outlined in black and starred), so
    radionuclides with weak chelators overall are as readable as easy ones; the absolute
    scores are in the tables. Returns the matplotlib Figure; with ``path`` it is also saved
    (format from the suffix).

    Examples
    --------
    >>> fig = chelscreen.reporting.heatmap(df, "heatmap.png")   # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    rel = relative_scores(result, max_rows=max_rows)
    nuclides = list(rel.columns)
    # a column whose nominal best is no defensible pick gets no star (and says so)
    no_pick = {s["radionuclide"] for s in summary_rows(result) if s.get("no_pick")}
    n = len(rel)
    fig_h = max(2.8, 0.26 * n + 1.6)
    fig_w = max(5.0, 0.6 * len(nuclides) + 3.2)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=110)
    data = rel.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    labels = [f"{nuc} (no pick)" if nuc in no_pick else nuc for nuc in nuclides]
    ax.set_xticks(range(len(nuclides)), labels=labels, rotation=45, ha="right", fontsize=8)
    if n > 12:  # long tables: the radionuclides are named above the columns too
        top = ax.secondary_xaxis("top")
        top.set_xticks(range(len(nuclides)), labels=labels, rotation=45, ha="left",
                       fontsize=8, rotation_mode="anchor")
    ax.set_yticks(range(n), labels=[str(i)[:28] for i in rel.index], fontsize=8)
    for j in range(len(nuclides)):
        col = data[:, j]
        if not np.isfinite(col).any():
            continue
        i = int(np.nanargmax(col))
        if nuclides[j] in no_pick:  # nominal #1 only: dashed, a question mark
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="grey",
                                   lw=1.5, linestyle="--"))
            ax.text(j, i, "?", ha="center", va="center", fontsize=9, color="black")
            continue
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=2))
        ax.text(j, i, "★", ha="center", va="center", fontsize=9, color="black")
    fig.colorbar(im, ax=ax, label="score / best score of the radionuclide", shrink=0.8)
    title = "chelator × radionuclide (relative to the best; ★ = best"
    title += "; ? = nominal #1, no defensible pick)" if no_pick else ")"
    ax.set_title(title, fontsize=10, pad=48 if n > 12 else 6)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def heatmap_png(result: pd.DataFrame, max_rows: int = MAX_HEATMAP_ROWS) -> tuple[str, int]:
    """Base64 PNG of :func:`heatmap` and the number of chelators shown."""
    import matplotlib.pyplot as plt

    fig = heatmap(result, max_rows=max_rows)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    n = len(fig.axes[0].get_yticks())
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii"), n


def structure_svg(smiles: str, size: tuple[int, int] = (320, 220)) -> str:
    """Inline SVG drawing of a molecule (empty string when the SMILES does not parse)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles or "")
    if mol is None:
        return ""
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


@lru_cache(maxsize=64)
def _chain(nuclide: str) -> dict[str, Any]:
    """Decay chain rows and daughter-fate rows of a radionuclide for the template."""
    try:
        from chelscreen.decay import daughter_fate, decay_chain

        chain = decay_chain(nuclide)
        fate = daughter_fate(nuclide)
    except Exception as exc:  # noqa: BLE001 - the report must still render
        return {"error": f"decay data unavailable: {exc}"}
    rows = [{"parent": _text(r.get("parent")), "daughter": _text(r.get("daughter")),
             "mode": _text(r.get("mode")), "branch": _num(r.get("branching"), 4),
             "half_life": _human_time(r.get("half_life_s")),
             "e_alpha": _num(r.get("E_alpha_MeV"), 2), "e_recoil": _num(r.get("E_recoil_keV"), 1)}
            for r in chain.to_dict("records")]
    preferred = ["nuclide", "half_life", "arrives_by", "p_release_on_formation",
                 "alpha_decays_per_parent_decay", "frac_decays_released"]
    cols = [c for c in preferred if c in fate.columns] or list(fate.columns[:6])
    frows = [[_num(r[c], 3) if isinstance(r[c], float) else _text(r[c]) for c in cols]
             for r in fate.to_dict("records")]
    attrs = getattr(fate, "attrs", {}) or {}
    return {"rows": rows, "fate_cols": [c.replace("_", " ") for c in cols], "fate_rows": frows,
            "alphas": _num(attrs.get("alphas_per_decay"), 2),
            "released": _num(attrs.get("released_alpha_energy_fraction"), 3),
            "scenario": _text(attrs.get("scenario", ""))}


# --------------------------------------------------------------------------------------------
# the content
# --------------------------------------------------------------------------------------------
def _logk_text(r: dict) -> str:
    basis = _text(r.get("logK_basis"))
    if _finite(r.get("logK_exp")) and basis in ("", "measured"):
        return f"{float(r['logK_exp']):.1f} (measured)"
    if _finite(r.get("logK_pred")):
        sd = f" ± {float(r['logK_sd']):.1f}" if _finite(r.get("logK_sd")) else ""
        return f"{float(r['logK_pred']):.1f}{sd} ({basis or 'model'})"
    return ""


def _domain(r: dict) -> str:
    if _finite(r.get("logK_exp")) and _text(r.get("logK_basis")) in ("", "measured"):
        return "measured"
    v = r.get("in_domain")
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "unknown"
    return "yes" if bool(v) else "no"


def _evidence_free(r: dict) -> bool:
    """Nothing but the model behind the pair: no retention evidence, no measured constant and
    no labeling precedent."""
    return _evidence_short(r) == NO_EVIDENCE


#: what the summary says of a pair with no evidence of any kind behind it
NO_EVIDENCE = "none: model estimates only"


def _evidence_short(r: dict) -> str:
    n = r.get("evidence_n")
    parts = []
    if _finite(n) and float(n) > 0:
        parts.append(f"retention: {_text(r.get('evidence_text'))}")
    if _finite(r.get("logK_exp")) and _text(r.get("logK_basis")) in ("", "measured"):
        src = _text(r.get("logK_exp_source"))
        parts.append(f"measured log K {float(r['logK_exp']):.1f}" + (f" ({src})" if src else ""))
    if _text(r.get("labeling_basis")) == "precedent":
        parts.append("labeling precedent for this pair"
                     + (" (it failed)" if _labeling_failed(r) else ""))
    return "; ".join(parts) if parts else NO_EVIDENCE


def _labeling_failed(r: dict) -> bool:
    """Every labeling precedent or analogue of the pair reports a clear failure
    (``labeling_shown`` 0, see :mod:`chelscreen.radiolabeling`)."""
    v = r.get("labeling_shown")
    return _finite(v) and float(v) == 0.0


def _evidence_against(r: dict) -> bool:
    """The pair's own evidence does not speak for it: its labeling was shown to fail, or its
    retention evidence averages no better than a partial outcome
    (``chelscreen.rank.OUTCOME_VALUE['partial']``: some of the metal lost)."""
    from chelscreen.rank import OUTCOME_VALUE

    mean = r.get("evidence_mean")
    poor = (_finite(r.get("evidence_n")) and float(r["evidence_n"]) > 0 and _finite(mean)
            and float(mean) <= OUTCOME_VALUE["partial"])
    return _labeling_failed(r) or bool(poor)


def _is_extrapolation(r: dict) -> bool:
    """No evidence, no measured constant, and the log K prediction out of domain."""
    if _finite(r.get("evidence_n")) and float(r["evidence_n"]) > 0:
        return False
    if _domain(r) in ("measured", "yes"):
        return False
    return True


def _labeling_text(r: dict) -> str:
    """Labeling line built only from the values that exist (no empty template slots)."""
    if not _finite(r.get("mild_labeling_prob")):
        return ""
    parts = [f"p(mild) {float(r['mild_labeling_prob']):.2f}"]
    basis = _text(r.get("labeling_basis"))
    if basis:
        parts.append(f"basis: {basis}")
    if _finite(r.get("labeling_weight")):
        parts.append(f"weight in score {float(r['labeling_weight']):.2f}")
    cond = []
    if _finite(r.get("suggested_temperature_C")):
        t = float(r["suggested_temperature_C"])
        cond.append("RT" if t <= 30 else f"{t:.0f} °C")
    if _finite(r.get("suggested_time_min")):
        cond.append(f"{float(r['suggested_time_min']):.0f} min")
    if _finite(r.get("suggested_pH")):
        cond.append(f"pH {float(r['suggested_pH']):.1f}")
    if cond:
        parts.append("suggested " + ", ".join(cond))
    if _finite(r.get("decay_loss_frac")):
        parts.append(f"decay loss {float(r['decay_loss_frac']) * 100:.1f} %")
    return "; ".join(parts)


def _split_why(why: str, width: int = 90) -> tuple[str, str]:
    """The first ~``width`` characters of a ``why`` sentence (cut at a space) and the rest:
    the ranked table shows the head and unfolds the rest, so no text is shown twice."""
    if len(why) <= width:
        return why, ""
    cut = why.rfind(" ", 0, width)
    cut = cut if cut > width // 2 else width
    return why[:cut], why[cut:].lstrip()


def _row_view(r: dict) -> dict[str, Any]:
    tied = [t for t in _text(r.get("tied_with")).split("; ") if t]
    why_head, why_rest = _split_why(_text(r.get("why")))
    return {
        "rank": int(r["rank"]) if _finite(r.get("rank")) else "",
        "chelator": _text(r.get("chelator")), "smiles": _text(r.get("smiles")),
        "radionuclide": _text(r.get("radionuclide")),
        "score": _num(r.get("score")), "score_lo": _num(r.get("score_lo")),
        "score_hi": _num(r.get("score_hi")), "p_best": _num(r.get("p_best")),
        "tied": tied, "retention": _num(r.get("retention_score")),
        "thermo": _num(r.get("thermo_score")), "inertness": _num(r.get("inertness")),
        "daughters": _num(r.get("daughter_score")), "labeling": _num(r.get("labeling_score")),
        "pm": _num(r.get("pM_pH7_4"), 1), "logk": _logk_text(r), "domain": _domain(r),
        "evidence": _evidence_short(r), "why": _text(r.get("why")),
        "why_head": why_head, "why_rest": why_rest,
        "labeling_text": _labeling_text(r), "precedents": _text(r.get("precedents"))[:600],
        "sim": (f"donors retained {_num(r.get('sim_donors_retained_frac'))}, mean CN "
                f"{_num(r.get('sim_cn_mean'), 1)}, strain {_num(r.get('sim_strain_kJ_mol'), 0)}"
                " kJ/mol") if _finite(r.get("sim_donors_retained_frac")) else "",
        "extrapolation": _is_extrapolation(r), "evidence_free": _evidence_free(r),
        "ranked_with": _text(r.get("ranked_with")),
    }


def _dose_text(nuclide: str, chelator: str, smiles: str = "") -> str:
    """One sentence on where the released daughters' alpha energy ends up (human preset).

    From :func:`chelscreen.dosimetry.daughter_dose_summary` (ICRP systemic models for the free
    daughters, the preset's generic vector kinetics); empty for chains without alpha emitters.
    The chelator enters only through its release probability after beta decay, which depends on
    its structural class alone, so one value is computed per radionuclide and class.
    """
    try:
        from chelscreen import decay, dosimetry

        dota_type = bool(smiles) and decay._is_dota_core(smiles)
        key = (nuclide, dota_type)
        if key not in _DOSE_BY_CLASS:  # the SMILES is classified by structure in decay
            _DOSE_BY_CLASS[key] = dosimetry.daughter_dose_summary(
                nuclide, smiles if dota_type else None, "human")
        s = _DOSE_BY_CLASS[key]
    except Exception as exc:  # noqa: BLE001 - the report never fails on the dose sentence
        return f"(dosimetry not available: {exc})"
    if not (s["kidneys_released_Gy_per_MBq"] > 0 or s["released_offtarget_frac"] > 0):
        return ""
    organ = s["top_organ"].replace("_", " ")
    return (f"released daughters deposit {s['released_offtarget_frac']:.0%} of the chain's "
            f"α energy outside the tumour (most in {organ}, {s['top_organ_frac']:.0%}); "
            f"kidneys {s['kidneys_released_Gy_per_MBq']:.3g} Gy/MBq from released daughters "
            "(human preset, generic vector kinetics; run chelscreen dose with your own)")


#: daughter-dose summaries per (radionuclide, DOTA-type class) for :func:`_dose_text`
_DOSE_BY_CLASS: dict[tuple[str, bool], dict] = {}


def _anchor(nuc: str) -> str:
    return "n-" + "".join(c if c.isalnum() else "-" for c in nuc)


def _screen_summary(result: pd.DataFrame) -> dict[str, Any]:
    """Counts of the whole screen when ``result`` holds only the rows the report shows: a
    streamed screen (``screen(load=False)``, the CLI) keeps the best pairs per radionuclide
    and puts ``n_chelators``, ``n_ranked`` and ``all_extrapolated`` in
    ``attrs["screen_summary"]``; a whole result has none and is counted directly."""
    return dict(result.attrs.get("screen_summary") or {})


def summary_rows(result: pd.DataFrame) -> list[dict[str, Any]]:
    """Per radionuclide: best choice, runner-up, distinguishable or not, evidence, domain."""
    out = []
    competing = chelator_rows(result)
    whole = _screen_summary(result)
    for nuc in dict.fromkeys(result["radionuclide"]):
        sub = competing[(competing["radionuclide"] == nuc) & competing["rank"].notna()]
        sub = sub.assign(_r=sub["rank"].astype(int)).sort_values("_r", kind="stable")
        if not len(sub):
            out.append({"radionuclide": nuc, "anchor": _anchor(nuc), "best": None})
            continue
        best = _row_view(sub.iloc[0].to_dict())
        best["conjugates"] = _conjugates_of(result, nuc, best["chelator"])
        second = _row_view(sub.iloc[1].to_dict()) if len(sub) > 1 else None
        distinct = second is None or second["chelator"] not in best["tied"]
        n_tied = len(best["tied"])
        all_extrap = whole.get("all_extrapolated", {}).get(nuc)
        if all_extrap is None:
            all_extrap = all(_is_extrapolation(r) for r in sub.to_dict("records"))
        # the chelator best in most draws, when the rank (a lower bound) picks another one
        most = None
        pb = pd.to_numeric(sub["p_best"], errors="coerce") if "p_best" in sub.columns else None
        if pb is not None and pb.notna().any():
            top = sub.loc[pb.idxmax()]
            if str(top["chelator"]) != best["chelator"] and float(pb.max()) > (
                    float(pb.iloc[0]) if _finite(pb.iloc[0]) else 0.0):
                most = {"chelator": str(top["chelator"]), "p_best": _num(pb.max())}
        # no pick when the best cannot be told from the runner-up and nothing but the model
        # stands behind it (an extrapolation, or no evidence, measured constant or precedent)
        no_pick = (best["extrapolation"] or best["evidence_free"]) and not distinct
        supported = None
        if no_pick:  # naming another unsupported chelator would read as a recommendation
            most = None
            # evidence before extrapolation: the best-ranked chelator indistinguishable from
            # the nominal #1 that has evidence behind it (retention evidence, a measured
            # constant or a labeling precedent) and none against it (a failed labeling,
            # retention no better than partial on average) is named as the supported choice
            tied = set(best["tied"])
            for r in sub.iloc[1:].to_dict("records"):
                if str(r.get("chelator")) in tied and not _evidence_against(r):
                    view = _row_view(r)
                    if not (view["extrapolation"] or view["evidence_free"]):
                        supported = view
                        break
        out.append({"radionuclide": nuc, "anchor": _anchor(nuc), "best": best,
                    "second": second, "distinct": distinct, "n_tied": n_tied,
                    "n": whole.get("n_ranked", {}).get(nuc, len(sub)),
                    "all_extrapolated": all_extrap, "no_pick": no_pick,
                    "supported": supported,
                    "no_pick_reason": ("" if not no_pick else
                                       "an extrapolation" if best["extrapolation"] else
                                       "model estimates only"),
                    "most_often_best": most})
    return out


def score_rule_text() -> str:
    """What ``score`` and its interval are (from :mod:`chelscreen.rank`'s constants)."""
    from chelscreen.rank import INTERVAL, LCB_QUANTILE

    def pct(q: float) -> str:
        n = round(q * 100)
        return f"{n}{'st' if n % 10 == 1 and n != 11 else 'th'}"

    return (f"score = {pct(LCB_QUANTILE)} percentile of the sampled score (a one-sided "
            f"{100 - round(LCB_QUANTILE * 100)} % lower bound: ranks reward what is known to "
            f"be good, not what might be); [interval] = {pct(INTERVAL[0])}–"
            f"{pct(INTERVAL[1])} percentile")


def console_summary(result: pd.DataFrame, top_n: int = 3) -> str:
    """Plain-text summary of the best pairs per radionuclide (the CLI prints it)."""
    lines = []
    for s in summary_rows(result):
        nuc = s["radionuclide"]
        if s["best"] is None:
            lines.append(f"{nuc}: no chelator could be scored")
            continue
        b = s["best"]
        sup = s.get("supported")
        # the tie list is the nominal #1's; where a supported choice is named, it is one of
        # those ties and is not listed again as tied with itself
        others = [c for c in b["tied"] if not (s["no_pick"] and sup and c == sup["chelator"])]
        verdict = ("distinguishable from the runner-up" if s["distinct"] else
                   (f"the nominal #1 is also indistinguishable from {len(others)} other(s): "
                    if s["no_pick"] and sup else
                    f"indistinguishable from {len(others)} other(s): ")
                   + ", ".join(others[:5]) + (" …" if len(others) > 5 else ""))
        if s["no_pick"] and sup:
            head = (f"best supported by evidence {sup['chelator']} (evidence: "
                    f"{sup['evidence']}; indistinguishable from the nominal #1 {b['chelator']}, "
                    f"which rests on {s['no_pick_reason']}: ")
        elif s["no_pick"]:
            head = f"no defensible pick ({s['no_pick_reason']}; nominal #1 {b['chelator']}, "
        else:
            head = f"best {b['chelator']} ("
        most = s.get("most_often_best")
        most_txt = (f"; most often best in the draws: {most['chelator']} (p_best "
                    f"{most['p_best']})" if most else "")
        lines.append(f"{nuc}: {head}score {b['score']} [{b['score_lo']}–"
                     f"{b['score_hi']}], p_best {b['p_best']}) — {verdict}{most_txt}")
        if s["all_extrapolated"]:
            lines.append("  every estimate for this radionuclide is an extrapolation "
                         "(no evidence, no measured constant, log K out of domain)")
        competing = chelator_rows(result)
        sub = competing[(competing["radionuclide"] == nuc) & competing["rank"].notna()]
        sub = sub.assign(_r=sub["rank"].astype(int)).sort_values("_r", kind="stable")
        for r in sub.head(top_n).to_dict("records"):
            conj = _conjugates_of(result, nuc, str(r["chelator"]))
            with_conj = f" (with its conjugates {', '.join(conj)})" if conj else ""
            lines.append(f"  {int(r['rank'])}. {r['chelator']}{with_conj}  score "
                         f"{r['score']:.2f} [{r['score_lo']:.2f}–{r['score_hi']:.2f}]  — "
                         f"{r['why']}")
    if lines:
        lines.append(f"({score_rule_text()})")
    return "\n".join(lines)


@cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("chelscreen", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def _records_of(frames: list[pd.DataFrame]) -> list[list[dict[str, Any]]]:
    """``f.to_dict("records")`` of each of ``frames`` (row subsets of one frame, same columns
    and dtypes) from one conversion of their concatenation: pandas builds one Series per
    column and call, which made these small conversions most of the report's own CPU."""
    parts = [f for f in frames if len(f)]
    flat = pd.concat(parts, ignore_index=True).to_dict("records") if parts else []
    out, at = [], 0
    for f in frames:
        out.append(flat[at:at + len(f)])
        at += len(f)
    return out


def render_report(result: pd.DataFrame, *, top_n: int = CARDS_PER_NUCLIDE,
                  title: str = "chelscreen report", table_rows: int = TABLE_ROWS) -> str:
    """The report page for a screen result (one self-contained HTML string)."""
    from chelscreen._version import __version__

    nuclides = list(dict.fromkeys(result["radionuclide"]))
    whole = _screen_summary(result)
    n_chel = whole.get("n_chelators", result["chelator"].nunique() if len(result) else 0)
    bad = result[result["status"].isin(["invalid", "error"])].drop_duplicates("chelator")
    plan = []
    for s in summary_rows(result):
        nuc = s["radionuclide"]
        sub = result[(result["radionuclide"] == nuc) & result["rank"].notna()]
        # conjugates follow the chelating core they are ranked with
        conj = (sub["ranked_with"].map(_text) != "") if "ranked_with" in sub.columns else (
            pd.Series(False, index=sub.index))
        sub = sub.assign(_r=sub["rank"].astype(int), _c=conj.astype(int)).sort_values(
            ["_r", "_c"], kind="stable")
        plan.append((s, nuc, len(sub), sub.head(table_rows), sub[sub["_c"] == 0].head(top_n)))
    # the table rows and cards of every radionuclide as records in one conversion (the same
    # values as one to_dict per part: the parts are rows of one frame, with its dtypes)
    records = iter(_records_of([f for p in plan for f in p[3:]]))
    sections = []
    for s, nuc, n_rows, *_parts in plan:
        rows = [_row_view(r) for r in next(records)]
        cards = []
        for r in next(records):
            v = _row_view(r)
            v["svg"] = structure_svg(v["smiles"])
            v["dose"] = _dose_text(nuc, v["chelator"], v["smiles"])
            cards.append(v)
        n_sub = whole.get("n_ranked", {}).get(nuc, n_rows)
        sections.append({**s, "rows": rows, "cards": cards, "n_more": max(0, n_sub - table_rows),
                         "chain": _chain(nuc)})
    # the heatmap's rows are chelating cores (conjugates are ranked with their core)
    n_cores = max(whole.get("n_ranked", {}).values(), default=0) or int(
        chelator_rows(result)["chelator"].nunique())
    png, shown = ("", 0)
    if result["score"].notna().any():
        png, shown = heatmap_png(result)
    page = _environment().get_template("report.html.j2").render(
        title=title, version=__version__,
        when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        n_chel=n_chel, nuclides=nuclides, sections=sections, heatmap=png,
        score_rule=score_rule_text(),
        heatmap_note="" if shown >= n_cores else f"best {shown} of {n_cores} chelating cores",
        rejected=[{"id": _text(r.get("id")), "chelator": _text(r.get("chelator")),
                   "status": _text(r.get("status")), "message": _text(r.get("message"))}
                  for r in bad.to_dict("records")],
    )
    return page


def report(results: pd.DataFrame, path: str | Path, *, top_n: int = CARDS_PER_NUCLIDE,
           title: str = "chelscreen report") -> Path:
    """Write the HTML report of a screen result to ``path`` (folders created); return the path.

    Parameters
    ----------
    results
        The DataFrame returned by :func:`chelscreen.screen` (or read back from its
        ``results.parquet``).
    path
        Output file (``.html``).
    top_n
        Cards per radionuclide.
    title
        Page title.

    Examples
    --------
    >>> df = chelscreen.screen(["DOTA", "macropa"], ["Ac-225", "Lu-177"], out=None)  # doctest: +SKIP
    >>> chelscreen.report(df, "out/report.html")                                     # doctest: +SKIP
    """
    from chelscreen.store import atomic_write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(atomic_write_text(path, render_report(results, top_n=top_n, title=title)))
