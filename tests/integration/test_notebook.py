"""The example notebook runs end to end (executed with nbclient on the python3 kernel)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
import chelscreen.model.predict  # noqa: E402,F401 - a hard dependency: fail, never skip


def test_example_notebook_executes(repo_root: Path) -> None:
    path = repo_root / "examples" / "screen_example.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(
        o.get("text", "") if o.get("output_type") == "stream"
        else str(o.get("data", {}).get("text/plain", ""))
        for o in outputs
    )
    assert "macropa" in text and "Ac-225" in text
    assert "alpha decays per 225Ac decay: 4.0" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the heatmap is drawn"
