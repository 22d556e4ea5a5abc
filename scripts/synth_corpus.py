"""Make a synthetic corpus for benchmarks: corpus sentences recombined, entity names replaced by new ones.

Why: the bundled corpus is five documents; scale needs thousands with the same sentence shapes.
Names come from the extractor's own output on the corpus (no list of corpus names in code); words
shared by many names (Park, Zone, Government...) are kept so the extractor still sees their kind.

Usage:
    python scripts/synth_corpus.py 1000 /tmp/synth-1000 [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from pathlib import Path

from graph.extract import extract
from graph.ingest import ingest_file
from graph.paths import CORPUS_DIR
from graph.sentences import split_sentences

SYLLABLES = ["an", "bo", "chen", "da", "feng", "gu", "hai", "jin", "kang", "lu", "ming", "ning", "ping",
             "qing", "rui", "shan", "tai", "wen", "xia", "yang", "zhou", "li", "mei", "song", "tian"]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def corpus_material() -> tuple[list[str], list[str], set[str]]:
    """Sentences of the bundled corpus, the entity names found in them, and the generic name words."""
    sentences, names = [], set()
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        doc = ingest_file(path)
        sentences += [s.text.strip() for s in split_sentences(doc.text) if len(s.text.split()) >= 6]
        ex = extract(doc)
        for ent in ex.entities.values():
            names.add(ent.name)
            names.update(ent.aliases)
    words = Counter(w for n in names for w in set(n.split()))
    generic = {w for w, c in words.items() if c >= 3 or not w[:1].isupper()}
    return sentences, sorted(names, key=len, reverse=True), generic


def make_corpus(n_docs: int, out: Path, *, seed: int = 7) -> list[Path]:
    """Write `n_docs` documents into `out`; names are drawn from a pool so entities recur across documents."""
    rng = random.Random(seed)
    sentences, names, generic = corpus_material()
    pools = [{w: pseudo_word(rng) for n in names for w in n.split() if w not in generic}
             for _ in range(max(4, n_docs // 25))]
    pattern = re.compile("|".join(re.escape(n) for n in names)) if names else None
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n_docs):
        mapping = rng.choice(pools)

        def rename(m: re.Match, mapping=mapping) -> str:
            return " ".join(mapping.get(w, w) for w in m.group().split())

        picked = rng.sample(sentences, k=min(len(sentences), rng.randint(8, 20)))
        body = " ".join(pattern.sub(rename, s) if pattern else s for s in picked)
        title = f"Synthetic report {i:06d}"
        path = out / f"synth-{i:06d}.txt"
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        files.append(path)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_docs", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    files = make_corpus(args.n_docs, args.out, seed=args.seed)
    print(f"wrote {len(files)} documents to {args.out}")


if __name__ == "__main__":
    main()
