"""The measured look-up file is byte-reproducible: the same table gives the same file and hash."""

import pandas as pd

from chelscreen.model.io import KNOWN_FILE, sha256, write_known_pairs


def test_known_pairs_file_is_byte_reproducible(tmp_path):
    table = pd.DataFrame({"smiles": ["OC(=O)CN(CC(O)=O)CC(O)=O"], "metal": ["Cu2+"],
                          "logK": [13.0], "source": ["NIST SRD 46 ligand 1"]})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_known_pairs(table, tmp_path / "a")
    import time
    time.sleep(1.1)  # a gzip header time stamp would differ now
    second = write_known_pairs(table, tmp_path / "b")
    assert first == second == sha256(tmp_path / "a" / KNOWN_FILE)
    assert (tmp_path / "a" / KNOWN_FILE).read_bytes() == (tmp_path / "b" / KNOWN_FILE).read_bytes()
