"""The SIT report: ``DIR/report.html`` from a SIT directory's files, and several SITs side by side.

Built from sit.json, sit_events.csv and sit_bins.csv alone (``lrm report DIR`` works on any finished SIT
directory). Self-contained HTML like the night report (lrm/report/templates/base.html.j2): inline SVG
figures, no script, no network; every text from the files is autoescaped. Kept apart from the night
report (its own module, templates and figures) so the two can change independently.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lrm.errors import InputError
from lrm.report import plots, sit_plots
from lrm.io.atomic import write_text_atomic
from lrm.report.render import GENERATOR, check_overwrite as _check_overwrite, render_page

__all__ = ["SitFiles", "is_sit_dir", "load_sit", "render_sit_html", "write_sit_report", "write_multi_sit_report",
           "WHAT_IS_A_SIT", "CAN_AND_CANNOT", "NOT_A_DIAGNOSIS"]

WHAT_IS_A_SIT = (
    "The suggested immobilization test (SIT) measures the 'worse at rest' part of restless legs syndrome "
    "(RLS): you sit up in bed, legs outstretched, awake, for an hour and try not to move, while your leg "
    "movements are counted and you rate how uncomfortable your legs feel. Sleep clinics do it with leg "
    "muscle sensors (EMG) about an hour before bedtime (Montplaisir et al. 1998); here ankle motion "
    "sensors count the movements.")
CAN_AND_CANNOT = (
    "It can show how often your legs move while you rest awake, whether the movements come in a regular "
    "rhythm (periodic), and how discomfort builds up over the hour; repeated SITs (for example before and "
    "after a change of treatment) can be compared with each other. It cannot tell whether you have RLS: RLS "
    "is diagnosed by a doctor from your symptoms (an urge to move the legs that is worse at rest, in the "
    "evening, and eased by movement: the IRLSSG criteria). Ankle sensors miss some small movements that "
    "leg EMG sees, and the published reference values were measured with EMG in a sleep lab, so compare "
    "your numbers with them only roughly. From the ankle, lrm cannot see whether you sat upright or slid "
    "down to lying.")
NOT_A_DIAGNOSIS = ("This is a measurement, not a diagnosis. If an urge to move your legs keeps you from "
                   "resting or sleeping, show this report to a doctor.")


def is_sit_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory holding a scored SIT (sit.json)."""
    return (Path(path) / "sit.json").is_file()


@dataclass(frozen=True)
class SitFiles:
    out_dir: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    bins: pd.DataFrame


def load_sit(out_dir: str | os.PathLike[str]) -> SitFiles:
    """Read a SIT directory; a missing or malformed file raises :class:`InputError`."""
    d = Path(out_dir)
    path = d / "sit.json"
    if not path.is_file():
        raise InputError(str(d), "", "no sit.json in this directory", "give a directory written by 'lrm sit'")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"not valid JSON ({exc})", "re-run 'lrm sit --from' to rewrite it") from None
    if not isinstance(summary, dict) or summary.get("kind") != "sit":
        raise InputError(str(path), "field 'kind'", "not a SIT summary", "give a directory written by 'lrm sit'")
    tables = []
    for name in ("sit_events.csv", "sit_bins.csv"):
        try:
            tables.append(pd.read_csv(d / name, dtype={"side": str, "type": str}))
        except FileNotFoundError:
            raise InputError(str(d / name), "", "missing", "re-run 'lrm sit --from' to rewrite it") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(str(d / name), "", f"not a readable CSV table ({exc})", "re-run 'lrm sit --from'") from None
    return SitFiles(d, summary, tables[0], tables[1])


def _num(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}"


def _start_text(summary: dict[str, Any]) -> str:
    """When the test began, in the recording's local clock time with its zone (or saying it is not known)."""
    from lrm.io.timezones import clock_at

    start = summary.get("test_start")
    if not start:
        return ""
    try:
        moment = clock_at(start, 0.0, summary.get("timezone"))
    except ValueError:
        return str(start)
    if moment is None or moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M} local time (time zone not stated)" if moment else str(start)
    zone = summary.get("timezone")
    return f"{moment:%Y-%m-%d %H:%M %Z}" + (f" ({zone})" if zone else " (time zone unknown)")


def _level(original: float | None) -> str:
    if original is None:
        return ""
    return "elevated" if original > 40 else "low"


def _headline(s: dict[str, Any]) -> list[str]:
    orig, wasm = s.get("sit_plm_index_original_criteria"), s.get("sit_plm_index")
    out = []
    if orig is None:
        out.append("Too little valid test time to give indices (at least 5 minutes are needed).")
        return out
    side = "above" if orig > 40 else "below"
    out.append(f"Scored with the intervals of the original SIT studies (4-90 s), your legs made {orig:.0f} periodic "
               f"movements per hour of valid test time: {side} the > 40 per hour that separated people with RLS from "
               "people without it in the original study (where 81 % of each group were classified correctly, so "
               "about one person in five lands on the other side).")
    out.append(f"With today's stricter WASM 2016 rules (intervals 10-90 s) the SIT-PLM index is {wasm:.0f} per hour; "
               "movements during a SIT often come every 11-12 s, so this number is lower and has no published cut-off.")
    return out


def _context(sit: SitFiles) -> dict[str, Any]:
    s = sit.summary
    legs = s.get("legs") or {}
    scopes = [("both legs", {"lm_index": s.get("sit_lm_index"), "plm_index": s.get("sit_plm_index"),
                             "lm_count": s.get("sit_lm_count"), "plm_count": s.get("sit_plm_count")})]
    scopes += [(f"{side} leg", v) for side, v in legs.items()]
    d = s.get("discomfort") or {}
    figures = []
    fig = sit_plots.plot_sit_timeline(s, sit.events)
    figures.append({"title": "The test minute by minute", "src": plots.figure_to_data_uri(fig),
                    "caption": "Each movement on the leg that made it (both: a bilateral movement); orange ones were "
                               "part of a periodic series (WASM 2016); grey stretches were left out (a leg out of "
                               "position or no data); purple: your discomfort answers."})
    fig2 = sit_plots.plot_sit_bins(sit.bins)
    if fig2 is not None:
        figures.append({"title": "Movements in each 10 minutes", "src": plots.figure_to_data_uri(fig2),
                        "caption": "Per hour of the valid time in each 10 minutes: in RLS the rate usually rises as "
                                   "rest goes on."})
    return {
        "generator": GENERATOR, "generated_at": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "name": sit.out_dir.resolve().name, "subject": s.get("subject"), "start": _start_text(s), "s": s,
        "partial": bool(s.get("partial")), "headline": _headline(s), "level": _level(s.get("sit_plm_index_original_criteria")),
        "orig": _num(s.get("sit_plm_index_original_criteria")), "wasm": _num(s.get("sit_plm_index")),
        "lm": _num(s.get("sit_lm_index")),
        "scopes": [(name, _num(v.get("lm_index")), _num(v.get("plm_index")), v.get("lm_count"), v.get("plm_count"))
                   for name, v in scopes],
        "limits": [(side, _num(1000 * v["detection_limit_g"], 0, " mg") if v.get("detection_limit_g") is not None else "n/a",
                    v.get("detection_limit_source", "")) for side, v in legs.items()],
        "discomfort": [("answers", f"{d.get('n_answered', 0)} of {d.get('n_prompts', 0)}"),
                       ("mean", _num(d.get("mean"))), ("maximum", _num(d.get("maximum"), 0)),
                       ("first / last", f"{_num(d.get('first'), 0)} / {_num(d.get('last'), 0)}"),
                       ("change per hour (slope)", _num(d.get("slope_per_h")))],
        "ratings": s.get("ratings") or [], "breaks": (s.get("posture") or {}).get("breaks", []),
        "posture": s.get("posture") or {}, "references": s.get("reference_values") or [],
        "warnings": s.get("warnings") or [], "figures": figures,
        "what": WHAT_IS_A_SIT, "can": CAN_AND_CANNOT, "not_a_diagnosis": NOT_A_DIAGNOSIS,
    }


def render_sit_html(sit: SitFiles) -> str:
    context = _context(sit)
    return render_page("sit.html.j2", **{k: v for k, v in context.items() if k not in ("generator", "generated_at")})


def write_sit_report(out_dir: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None) -> Path:
    """Write DIR/report.html (or ``out_path``) for the SIT in DIR; an existing file is replaced only if lrm wrote it."""
    sit = load_sit(out_dir)
    target = Path(out_path) if out_path is not None else sit.out_dir / "report.html"
    _check_overwrite(target)
    write_text_atomic(target, render_sit_html(sit))
    return target


def _row(sit: SitFiles, link_from: Path) -> dict[str, Any]:
    s = sit.summary
    d = s.get("discomfort") or {}
    report = sit.out_dir / "report.html"
    posture = s.get("posture") or {}
    return {
        "name": sit.out_dir.resolve().name, "start": _start_text(s), "status": "partial" if s.get("partial") else "complete",
        "valid": f"{_num(s.get('valid_min'), 0)} of {_num(s.get('planned_min'), 0)} min",
        "orig": s.get("sit_plm_index_original_criteria"), "wasm": s.get("sit_plm_index"),
        "orig_text": _num(s.get("sit_plm_index_original_criteria")), "wasm_text": _num(s.get("sit_plm_index")),
        "lm_text": _num(s.get("sit_lm_index")), "d_mean": d.get("mean"), "d_mean_text": _num(d.get("mean")),
        "d_max_text": _num(d.get("maximum"), 0), "d_slope_text": _num(d.get("slope_per_h")),
        "compliance": _num(posture.get("compliance_pct"), 0, " %"),
        "link": urllib.parse.quote(Path(os.path.relpath(report, link_from.parent)).as_posix()) if report.is_file() else None,
    }


def write_multi_sit_report(dirs: Sequence[str | os.PathLike[str]], out_path: str | os.PathLike[str]) -> Path:
    """Several SITs side by side (e.g. before and after a treatment change) in one HTML file."""
    sits = [load_sit(d) for d in dirs]
    target = Path(out_path)
    _check_overwrite(target)
    rows = [_row(sit, target) for sit in sits]
    fig = sit_plots.plot_sits([r["name"] for r in rows], [r["orig"] for r in rows], [r["wasm"] for r in rows],
                              [r["d_mean"] for r in rows])
    html_text = render_page(
        "sits.html.j2", rows=rows,
        n=len(rows), figure=plots.figure_to_data_uri(fig), what=WHAT_IS_A_SIT, can=CAN_AND_CANNOT,
        not_a_diagnosis=NOT_A_DIAGNOSIS, subjects=sorted({str(s.summary.get("subject")) for s in sits if s.summary.get("subject")}),
        any_partial=any(r["status"] == "partial" for r in rows))
    write_text_atomic(target, html_text)
    return target
