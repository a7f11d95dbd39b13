"""Self-contained HTML report of a screen (inline CSS, base64 PNG heatmap, inline SVG drawings).

:func:`render_report` takes the DataFrame returned by :func:`chelscreen.screen` and returns one
HTML string: a summary, the chelator × radionuclide heatmap of ``score``, the ranked table of each
radionuclide, a card per top pair (structure, reasons, scores, labeling conditions and
precedents, decay chain with the daughters' fate) and the list of rejected inputs. Nothing is
loaded from the network when the page is opened.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MAX_HEATMAP_ROWS = 40
TABLE_ROWS = 15
CARDS_PER_NUCLIDE = 3

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;
color:#1d2430;max-width:1200px}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:2px solid #d8dee9;padding-bottom:4px;
margin-top:2em}h3{margin:0.2em 0}
.sub{color:#5b6676;margin-top:4px}
table{border-collapse:collapse;font-size:0.86em;margin:8px 0}
th,td{border:1px solid #d8dee9;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:14px}
.card{border:1px solid #c9d2de;border-radius:8px;padding:10px;width:360px;background:#fbfcfe}
.card svg{width:100%;height:auto}
.why{font-size:0.9em;margin:6px 0}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;font-size:0.8em;color:#fff}
.ok{background:#2e7d32}.warn{background:#ef6c00}.bad{background:#c62828}
.small{font-size:0.8em;color:#5b6676}
.method{background:#f4f6fa;border-left:4px solid #8fa3bf;padding:8px 12px;font-size:0.9em}
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _num(x, nd: int = 2) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return f"{v:.{nd}f}" if np.isfinite(v) else ""


def heatmap_png(result: pd.DataFrame, max_rows: int = MAX_HEATMAP_ROWS) -> tuple[str, int]:
    """Base64 PNG of the chelator × radionuclide score matrix (best ``max_rows`` chelators).

    Returns ``(base64_text, n_rows_shown)``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    nuclides = list(dict.fromkeys(result["radionuclide"]))
    piv = result.pivot_table(index="chelator", columns="radionuclide", values="score",
                             aggfunc="max", sort=False)
    piv = piv.reindex(columns=nuclides)
    order = list(dict.fromkeys(result["chelator"]))
    piv = piv.reindex([c for c in order if c in piv.index])
    if len(piv) > max_rows:
        best = piv.max(axis=1).sort_values(ascending=False, kind="stable")
        piv = piv.loc[best.index[:max_rows]]
    n = len(piv)
    fig_h = max(2.5, 0.28 * n + 1.5)
    fig_w = max(5.0, 0.62 * len(nuclides) + 3.0)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=110)
    data = piv.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(nuclides)), labels=nuclides, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels=[str(i)[:28] for i in piv.index], fontsize=8)
    if n * len(nuclides) <= 400:
        for i in range(n):
            for j in range(len(nuclides)):
                v = data[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if v < 0.55 else "black")
    fig.colorbar(im, ax=ax, label="score (0–1)", shrink=0.8)
    ax.set_title("chelator × radionuclide score")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii"), n


def structure_svg(smiles: str, size: tuple[int, int] = (340, 240)) -> str:
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
def _chain_html(nuclide: str) -> str:
    """Decay chain and daughter fate of a radionuclide as small HTML tables."""
    try:
        from chelscreen.decay import daughter_fate, decay_chain

        chain = decay_chain(nuclide)
        fate = daughter_fate(nuclide)
    except Exception as exc:  # noqa: BLE001 - the report must still render
        return f"<p class='small'>decay data unavailable: {_e(exc)}</p>"
    rows = []
    for r in chain.to_dict("records"):
        hl = r.get("half_life_s")
        rows.append(
            "<tr><td>{p}</td><td>{d}</td><td>{m}</td><td class='num'>{b}</td>"
            "<td class='num'>{h}</td><td class='num'>{ea}</td><td class='num'>{er}</td></tr>".format(
                p=_e(r.get("parent")), d=_e(r.get("daughter")), m=_e(r.get("mode")),
                b=_num(r.get("branching"), 4), h=_e(_human_time(hl)),
                ea=_num(r.get("E_alpha_MeV"), 2), er=_num(r.get("E_recoil_keV"), 1)))
    chain_tab = ("<table><tr><th>parent</th><th>daughter</th><th>mode</th><th>branch</th>"
                 "<th>t½ (parent)</th><th>E<sub>α</sub> MeV</th><th>E<sub>recoil</sub> keV</th>"
                 "</tr>" + "".join(rows) + "</table>")
    preferred = ["nuclide", "half_life", "arrives_by", "p_release_on_formation",
                 "alpha_decays_per_parent_decay", "frac_decays_released"]
    fate_cols = [c for c in preferred if c in fate.columns] or list(fate.columns[:6])
    frows = "".join(
        "<tr>" + "".join(
            f"<td class='num'>{_num(v, 3)}</td>" if isinstance(v, float) else f"<td>{_e(v)}</td>"
            for v in (r[c] for c in fate_cols)) + "</tr>"
        for r in fate.to_dict("records"))
    fate_tab = ("<table><tr>" + "".join(f"<th>{_e(c)}</th>" for c in fate_cols) + "</tr>"
                + frows + "</table>")
    attrs = getattr(fate, "attrs", {}) or {}
    summ = ""
    if attrs:
        summ = ("<p class='small'>α per decay: {a}; fraction of α energy from released daughters:"
                " {f}; scenario: {s}</p>").format(
            a=_num(attrs.get("alphas_per_decay"), 2),
            f=_num(attrs.get("released_alpha_energy_fraction"), 3),
            s=_e(attrs.get("scenario", "")))
    return chain_tab + fate_tab + summ


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


def _badge(status: str) -> str:
    cls = {"ok": "ok", "warning": "warn"}.get(status, "bad")
    return f"<span class='badge {cls}'>{_e(status)}</span>"


def _ranked_table(sub: pd.DataFrame, n: int = TABLE_ROWS) -> str:
    head = ("<table><tr><th>rank</th><th>chelator</th><th>score</th><th>retention</th>"
            "<th>daughters</th><th>labeling</th><th>pM<sub>7.4</sub></th><th>log K</th>"
            "<th>in domain</th><th>why</th></tr>")
    rows = []
    for r in sub.head(n).to_dict("records"):
        logk = r.get("logK_exp") if _finite(r.get("logK_exp")) else r.get("logK_pred")
        rows.append(
            f"<tr><td class='num'>{_e(r.get('rank'))}</td><td>{_e(r.get('chelator'))}</td>"
            f"<td class='num'>{_num(r.get('score'))}</td>"
            f"<td class='num'>{_num(r.get('retention_score'))}</td>"
            f"<td class='num'>{_num(r.get('daughter_score'))}</td>"
            f"<td class='num'>{_num(r.get('labeling_score'))}</td>"
            f"<td class='num'>{_num(r.get('pM_pH7_4'), 1)}</td>"
            f"<td class='num'>{_num(logk, 1)}</td><td>{_e(r.get('in_domain'))}</td>"
            f"<td class='small'>{_e(r.get('why'))}</td></tr>")
    return head + "".join(rows) + "</table>"


def _finite(x) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False


def _card(r: dict) -> str:
    svg = structure_svg(str(r.get("smiles", "")))
    lab = ""
    if _finite(r.get("mild_labeling_prob")):
        lab = ("<p class='small'>labeling: p(mild) {p}; suggested {t} °C, {m} min, pH {ph}; "
               "decay loss {dl}</p>").format(
            p=_num(r.get("mild_labeling_prob")), t=_num(r.get("suggested_temperature_C"), 0),
            m=_num(r.get("suggested_time_min"), 0), ph=_num(r.get("suggested_pH"), 1),
            dl=_num(r.get("decay_loss_frac"), 3))
        prec = str(r.get("precedents") or "")
        if prec:
            lab += f"<p class='small'>precedents: {_e(prec[:600])}</p>"
    sim = ""
    if _finite(r.get("sim_donors_retained_frac")):
        sim = (f"<p class='small'>OpenMM fast protocol: donors retained "
               f"{_num(r.get('sim_donors_retained_frac'))}, mean CN {_num(r.get('sim_cn_mean'), 1)}"
               f", strain {_num(r.get('sim_strain_kJ_mol'), 0)} kJ/mol</p>")
    scores = ("<table><tr><th>score</th><th>retention</th><th>thermo</th><th>inertness</th>"
              "<th>daughters</th><th>labeling</th></tr><tr>" + "".join(
                  f"<td class='num'>{_num(r.get(k))}</td>" for k in (
                      "score", "retention_score", "thermo_score", "inertness", "daughter_score",
                      "labeling_score")) + "</tr></table>")
    chain = _chain_html(str(r.get("radionuclide")))
    return (f"<div class='card'><h3>#{_e(r.get('rank'))} {_e(r.get('chelator'))} · "
            f"{_e(r.get('radionuclide'))}</h3>{svg}<p class='why'>{_e(r.get('why'))}</p>"
            f"{scores}{lab}{sim}<details><summary>decay chain and daughter fate</summary>"
            f"{chain}</details><p class='small'>{_e(r.get('smiles'))}</p></div>")


def render_report(result: pd.DataFrame, *, top_n: int = CARDS_PER_NUCLIDE,
                  title: str = "chelscreen report") -> str:
    """The report page for a screen result (one self-contained HTML string)."""
    from chelscreen._version import __version__

    nuclides = list(dict.fromkeys(result["radionuclide"]))
    n_chel = result["chelator"].nunique() if len(result) else 0
    bad = result[result["status"].isin(["invalid", "error"])].drop_duplicates("chelator")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='sub'>{n_chel} chelators × {len(nuclides)} radionuclides "
        f"({_e(', '.join(nuclides))}); {len(bad)} rejected input(s). chelscreen {__version__}, "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.</p>",
        "<div class='method'><b>How to read the scores.</b> <i>retention</i> = √(thermodynamics ×"
        " kinetic inertness): pM at pH 7.4 ([M]<sub>tot</sub> 1 µM, [L]<sub>tot</sub> 10 µM) from"
        " log K corrected for ligand basicity and metal hydrolysis, and the structural inertness "
        "(macrocycle/cage, cavity fit to the ion, donor count vs the ion's coordination number, "
        "OpenMM features where run). <i>daughters</i> = 1 − fraction of the chain's α energy "
        "emitted by daughters released from the chelate. <i>labeling</i> = activity left after "
        "the suggested labeling time × chance of mild (≤ 40 °C) labeling. score = retention × "
        "(0.5 + 0.5·daughters) × (0.7 + 0.3·labeling). Details: <code>chelscreen.rank</code>.</div>",
    ]
    ok = result[result["score"].notna()]
    if len(ok):
        png, shown = heatmap_png(result)
        note = "" if shown >= n_chel else f" (best {shown} of {n_chel} chelators)"
        parts.append(f"<h2>Heatmap{_e(note)}</h2><img alt='score heatmap' "
                     f"src='data:image/png;base64,{png}'>")
    for nuc in nuclides:
        sub = result[(result["radionuclide"] == nuc) & result["rank"].notna()].copy()
        sub["_r"] = sub["rank"].astype(int)
        sub = sub.sort_values("_r")
        parts.append(f"<h2>{_e(nuc)}</h2>")
        if not len(sub):
            parts.append("<p>No chelator could be scored for this radionuclide.</p>")
            continue
        parts.append(_ranked_table(sub))
        parts.append("<div class='cards'>" + "".join(
            _card(r) for r in sub.head(top_n).to_dict("records")) + "</div>")
    if len(bad):
        parts.append("<h2>Rejected inputs</h2><table><tr><th>id</th><th>chelator</th>"
                     "<th>status</th><th>message</th></tr>")
        for r in bad.to_dict("records"):
            parts.append(f"<tr><td>{_e(r.get('id'))}</td><td>{_e(r.get('chelator'))}</td>"
                         f"<td>{_badge(str(r.get('status')))}</td><td>{_e(r.get('message'))}"
                         "</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
