"""IMI histograms: Ferri's log-scale bins and 2 s linear bins (docs/scoring.md §2.1 "IMI histograms")."""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["LOG_IMI_EDGES_S", "LINEAR_IMI_EDGES_S", "imi_histogram", "clm_imis"]

#: Log-scale bin edges in s: ln(IMI) in steps of 0.25 from ln 1 s to ln 148 s (exp(0), exp(0.25), ...,
#: exp(5.0)), 20 bins. They resolve the short-IMI peak (< 8 s) and the periodic peak (15-30 s) that
#: Ferri 2006 describes, with equal width on the log axis; IMIs < 1 s or >= 148 s fall outside.
LOG_IMI_EDGES_S: Final = np.exp(np.arange(0.0, 5.0 + 1e-9, 0.25))

#: Linear 2 s bins over 0-90 s (SOMAS convention, formats.md §5.1); IMIs > 90 s fall outside.
LINEAR_IMI_EDGES_S: Final = np.arange(0.0, 90.0 + 1e-9, 2.0)


def imi_histogram(imi_s: np.ndarray, edges_s: np.ndarray = LOG_IMI_EDGES_S) -> dict[str, list[float] | list[int] | int]:
    """Histogram of IMIs in s over ``edges_s``, as a JSON-ready dict.

    Returns ``{"bin_edges_s": [...], "counts": [...], "below": n, "above": n}``; bins are closed on the
    left (the last bin on both sides, as numpy does).

    >>> imi_histogram(np.array([0.5, 3.0, 25.0, 25.1, 400.0]))["counts"][4]
    1
    """
    imi_s = np.asarray(imi_s, float)
    imi_s = imi_s[np.isfinite(imi_s)]
    counts, _ = np.histogram(imi_s, bins=edges_s)
    return {
        "bin_edges_s": [round(float(e), 4) for e in edges_s],
        "counts": [int(c) for c in counts],
        "below": int(np.sum(imi_s < edges_s[0])),
        "above": int(np.sum(imi_s > edges_s[-1])),
    }


def clm_imis(onset_s: np.ndarray, is_clm: np.ndarray, removed: np.ndarray | None = None) -> np.ndarray:
    """Onset-to-onset IMIs in s between consecutive CLMs: what summary.json's ``clm_imi_*histogram`` count.

    ``onset_s``: onsets (s, ascending) of every scored LM, non-CLMs included (they break a CLM pair);
    ``is_clm``: True for candidate LMs; ``removed``: LMs taken out of the sequence before the IMIs are
    computed (the CLMr, for the histogram without respiratory-related movements: docs/scoring.md §1.2 step 10).

    >>> clm_imis(np.array([0.0, 20, 30, 50]), np.array([True, True, False, True])).tolist()
    [20.0]
    >>> clm_imis(np.array([0.0, 20, 30, 50]), np.array([True, True, True, True]), np.array([0, 1, 0, 0], bool)).tolist()
    [30.0, 20.0]
    """
    onset_s, is_clm = np.asarray(onset_s, float), np.asarray(is_clm, bool)
    if removed is not None:
        keep = ~np.asarray(removed, bool)
        onset_s, is_clm = onset_s[keep], is_clm[keep]
    pair = is_clm[1:] & is_clm[:-1]
    return np.diff(onset_s)[pair]
