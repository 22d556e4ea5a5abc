#!/usr/bin/env python3
"""Score extraction on the dev set: build each gold document alone and run the shared scorer on it.

Why alone: the gold file describes one article, and a build of that article alone shows exactly
what ParkGraph gets from it (no help from other documents). Why a subprocess for the scorer: it is
the project's external yardstick (../shared/eval/score.py), used exactly as a reviewer runs it.

Usage:
    .venv/bin/python scripts/evaluate.py                  # table for every ../shared/eval/dev/*.json
    .venv/bin/python scripts/evaluate.py --json           # machine-readable
    .venv/bin/python scripts/evaluate.py --min-entity-f1 0.85 --min-relation-f1 0.70   # a gate
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
METRICS = ("precision", "recall", "f1")


def find_document(gold: dict, gold_file: Path, corpus_dirs: list[Path]) -> Path:
    """The article a gold file describes: its `doc` name in the first corpus folder that has it."""
    for folder in corpus_dirs:
        candidate = folder / gold["doc"]
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{gold_file}: document {gold['doc']!r} not found in {', '.join(map(str, corpus_dirs))}")


def evaluate_one(gold_file: Path, document: Path, scorer: Path, work: Path) -> dict:
    """Build `document` alone into a fresh folder and return the scorer's JSON result for it."""
    from graph.pipeline import build

    out = work / gold_file.stem
    # A fixed build time keeps the graph (and so any diff between runs) reproducible.
    report, _ = build([document], out, workers=1, timestamp=datetime(2024, 1, 1, tzinfo=timezone.utc))
    if not report.ok:
        raise SystemExit(f"{document}: build failed: {'; '.join(report.errors)}")
    proc = subprocess.run(
        [sys.executable, str(scorer), str(gold_file), str(out), "--json"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{scorer} failed on {gold_file}: {proc.stderr.strip() or proc.stdout.strip()}")
    return json.loads(proc.stdout)


def mean(rows: list[dict], part: str, metric: str) -> float:
    return round(sum(r[part][metric] for r in rows) / len(rows), 3) if rows else 0.0


def table(results: dict[str, dict]) -> str:
    """Per-document precision / recall / F1 for entities and relations, plus the mean."""
    width = max([len("document"), *map(len, results)])
    head = f"{'document':<{width}}  {'ent P':>6} {'ent R':>6} {'ent F1':>6}  {'rel P':>6} {'rel R':>6} {'rel F1':>6}"
    lines = [head, "-" * len(head)]

    def row(name: str, values: list[float]) -> str:
        e, r = values[:3], values[3:]
        return f"{name:<{width}}  " + " ".join(f"{v:6.3f}" for v in e) + "  " + " ".join(f"{v:6.3f}" for v in r)

    for name, res in results.items():
        lines.append(row(name, [res[part][m] for part in ("entities", "relations") for m in METRICS]))
    rows = list(results.values())
    lines.append("-" * len(head))
    lines.append(row("mean", [mean(rows, part, m) for part in ("entities", "relations") for m in METRICS]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold-dir", type=Path, default=SHARED / "eval" / "dev", help="folder of gold *.json files")
    parser.add_argument("--scorer", type=Path, default=SHARED / "eval" / "score.py", help="the scorer script")
    parser.add_argument("--corpus", type=Path, action="append", default=None,
                        help="folder holding the articles (repeatable; default: graph/corpus, then ../shared/corpus)")
    parser.add_argument("--only", action="append", default=None, help="score only gold files with this stem")
    parser.add_argument("--json", action="store_true", help="print the scorer's full results as JSON")
    parser.add_argument("--details", action="store_true", help="also list missed entities and relations")
    parser.add_argument("--min-entity-f1", type=float, default=None, help="exit 1 if any document scores lower")
    parser.add_argument("--min-relation-f1", type=float, default=None, help="exit 1 if any document scores lower")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    corpus_dirs = args.corpus or [ROOT / "graph" / "corpus", SHARED / "corpus"]
    if not args.scorer.is_file():
        raise SystemExit(f"{args.scorer}: scorer not found (use --scorer)")
    gold_files = sorted(args.gold_dir.glob("*.json"))
    if args.only:
        gold_files = [g for g in gold_files if g.stem in args.only]
    if not gold_files:
        raise SystemExit(f"{args.gold_dir}: no gold *.json files")

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="parkgraph-eval-") as tmp:
        for gold_file in gold_files:
            gold = json.loads(gold_file.read_text(encoding="utf-8"))
            document = find_document(gold, gold_file, corpus_dirs)
            results[gold_file.stem] = evaluate_one(gold_file, document, args.scorer, Path(tmp))

    if args.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    else:
        print(table(results))
        if args.details:
            for name, res in results.items():
                print(f"\n{name}")
                for key in ("missed_entities", "missed_relations", "false_relations"):
                    for item in res.get(key, []):
                        print(f"  {key.replace('_', ' ')[:-1]}: {item}")

    below = [
        name for name, res in results.items()
        if (args.min_entity_f1 is not None and res["entities"]["f1"] < args.min_entity_f1)
        or (args.min_relation_f1 is not None and res["relations"]["f1"] < args.min_relation_f1)
    ]
    if below:
        print(f"below the thresholds: {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
