"""Rebuild sample_data/sample_night/ (the night `lrm demo` analyses) from lrm's simulator.

    python sample_data/make_sample_night.py            # refuses to overwrite an existing night
    python sample_data/make_sample_night.py --force    # replace it

The recipe (profile, seed, hours, rate, pinned sensor values) lives in lrm/sim/sample_night.py, so the
demo, this script and the cache fallback of an installed lrm all build the very same night.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from lrm.sim.sample_night import SAMPLE_RECIPE, SAMPLE_VARIATION, make_sample_night

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "sample_night", help="target directory")
    parser.add_argument("--force", action="store_true", help="replace an existing night")
    args = parser.parse_args()
    if args.out.exists():
        if not args.force:
            print(f"{args.out} exists; add --force to rebuild it", file=sys.stderr)
            return 2
        shutil.rmtree(args.out)
    make_sample_night(args.out)
    size_mb = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"wrote {args.out} ({size_mb:.1f} MB): {SAMPLE_RECIPE}, {SAMPLE_VARIATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
