"""Default OpenMM platform: small systems stay on the CPU, boxes go to a GPU when one is present."""

from __future__ import annotations

import openmm as mm
import pytest

from chelscreen.errors import SimulationError
from chelscreen.simulate.build import SMALL_SYSTEM, choose_platform


@pytest.fixture
def fake_gpu(monkeypatch):
    """Pretend a CUDA platform is installed: asking for it hands out the real CPU platform and
    records the request, so the test sees which platform the chooser tried."""
    names = ["Reference", "CPU", "CUDA"]
    asked: list[str] = []
    real = mm.Platform.getPlatformByName

    class _Named:
        def __init__(self, name):
            self._name = name

        def getName(self):
            return self._name

    def by_name(name):
        asked.append(name)
        return real("CPU" if name == "CUDA" else name)

    monkeypatch.setattr(mm.Platform, "getNumPlatforms", staticmethod(lambda: len(names)))
    monkeypatch.setattr(mm.Platform, "getPlatform", staticmethod(lambda i: _Named(names[i])))
    monkeypatch.setattr(mm.Platform, "getPlatformByName", staticmethod(by_name))
    return asked


def test_small_system_stays_on_cpu_when_a_gpu_is_present(fake_gpu):
    plat = choose_platform(60)
    assert "CUDA" not in fake_gpu and "OpenCL" not in fake_gpu
    assert plat.getName() == "CPU"
    assert plat.getPropertyDefaultValue("Threads") == "1"


def test_explicit_water_box_goes_to_the_gpu(fake_gpu):
    # the probe Context must succeed on a working GPU platform: a probe of an empty System
    # always failed, so the chooser fell back to the CPU (asked == ["CUDA", "CPU"])
    choose_platform(SMALL_SYSTEM + 3000)
    assert fake_gpu == ["CUDA"]


def test_requested_platform_wins_and_a_missing_one_is_a_clear_error(fake_gpu):
    choose_platform(60, "CUDA")
    assert fake_gpu == ["CUDA"]
    with pytest.raises(SimulationError, match="not available here"):
        choose_platform(60, "HIP")
