"""Compare the recorded metrics (and statuses) of two runs' manifests.

Used for refactors that must not change behaviour: run the demo before and after
(`make demo`, copying reports/latest/manifest.json aside in between), then

    python benchmarks/same_metrics.py BEFORE/manifest.json AFTER/manifest.json

It prints every notebook whose status or metrics differ and exits 1 if any do (0 when identical).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def differences(before: dict, after: dict) -> list[str]:
    """Lines naming each notebook whose status or recorded metrics differ between two manifests."""
    lines = []
    for name in sorted(set(before["notebooks"]) | set(after["notebooks"])):
        old, new = before["notebooks"].get(name), after["notebooks"].get(name)
        if old is None or new is None:
            lines.append(f"{name}: only in {'after' if old is None else 'before'}")
            continue
        if old["status"] != new["status"]:
            lines.append(f"{name}: status {old['status']} -> {new['status']}")
        keys = set(old.get("metrics") or {}) | set(new.get("metrics") or {})
        for key in sorted(keys):
            a, b = (old.get("metrics") or {}).get(key), (new.get("metrics") or {}).get(key)
            if a != b:
                lines.append(f"{name}: metric {key}: {json.dumps(a, ensure_ascii=False)[:200]} -> "
                             f"{json.dumps(b, ensure_ascii=False)[:200]}")
    return lines


def main(argv: list[str]) -> int:
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:3])
    lines = differences(before, after)
    count = sum(len(nb.get("metrics") or {}) for nb in after["notebooks"].values())
    print("\n".join(lines) if lines else f"identical: {len(after['notebooks'])} notebooks, {count} recorded metrics")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
