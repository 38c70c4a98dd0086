"""The bundled sample night (``sample_data/sample_night/``): its recipe, and where to find it.

The night is simulated by :func:`lrm.sim.night.simulate` with the fixed recipe below, so it can be rebuilt
byte for byte on any machine (``python sample_data/make_sample_night.py``). A checkout (or editable
install) has it under ``sample_data/``; an installed wheel, which does not carry ``sample_data/``,
rebuilds it once into the user's cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from lrm.sim.profiles import SimVariation

__all__ = ["SAMPLE_RECIPE", "SAMPLE_VARIATION", "make_sample_night", "sample_night_dir"]

#: simulate() arguments of the sample night: a PLMD sleeper, 7.5 h, both ankles at 25 Hz.
SAMPLE_RECIPE = {"profile": "plmd", "seed": 5, "hours": 7.5, "rate_hz": 25.0}
#: pinned so the demo shows PLMs and hypnic jerks on a typical 16-bit +-8 g sensor; the rest follows the seed
SAMPLE_VARIATION = SimVariation(hypnic_jerks=3, range_g=8.0, resolution_bits=16, noise_g=0.004, timestamp_jitter_s=0.002)

_REPO_NIGHT = Path(__file__).resolve().parents[2] / "sample_data" / "sample_night"


def make_sample_night(out_dir: str | os.PathLike[str]) -> Path:
    """Simulate the sample night and write it to ``out_dir`` as a native recording plus truth.json."""
    from lrm.sim.night import simulate, write_simulation

    recipe = dict(SAMPLE_RECIPE)
    sim = simulate(str(recipe.pop("profile")), variation=SAMPLE_VARIATION, **recipe)  # type: ignore[arg-type]
    write_simulation(sim, out_dir, native=True)
    return Path(out_dir)


def sample_night_dir() -> Path:
    """The sample night's directory: the repository's copy, else a copy built once in the user cache."""
    if (_REPO_NIGHT / "recording.json").is_file():
        return _REPO_NIGHT
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lrm" / "sample_night-v1"
    if not (cache / "recording.json").is_file():
        import shutil

        tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        make_sample_night(tmp)
        try:
            tmp.replace(cache)  # atomic; another process may have won the race
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    return cache
