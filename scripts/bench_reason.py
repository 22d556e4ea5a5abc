"""Benchmark: HermiT reasoning (graph.reason) and validation (graph.validate) on synthetic graphs.

Why synthetic: the bundled corpus is a few thousand triples; this builds graphs of a chosen size
in the exact shape a real build writes (through graph.build.assemble: evidence, sentences,
mentions, PROV), with locatedIn chains, parks, enterprises, policies, bodies and people, so the
numbers say how reasoning scales with the graph. Seeded, so runs are comparable.

Usage:
    .venv/bin/python scripts/bench_reason.py                 # 10k and 100k triples
    .venv/bin/python scripts/bench_reason.py --sizes 20000 --validate
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from datetime import datetime, timezone

from graph.build import assemble
from graph.model import Document, Entity, Extraction, Mention, Relation, Sentence
from graph.reason import reason
from graph.vocab import EntityClass, PlaceKind, Predicate

TRIPLES_PER_DOC = 570  # about what one synthetic document below assembles to


def synthetic_document(index: int, rng: random.Random, n_docs: int) -> Extraction:
    """One document of about TRIPLES_PER_DOC triples whose entities overlap with other documents'."""
    region = rng.randrange(max(1, n_docs // 4))  # shared places and bodies across documents
    names = {
        "prov": (EntityClass.PLACE, f"Province {region // 8}", PlaceKind.PROVINCE),
        "city": (EntityClass.PLACE, f"City {region // 2}", PlaceKind.CITY),
        "dist": (EntityClass.PLACE, f"District {region}", PlaceKind.DISTRICT),
        "gov": (EntityClass.GOVERNMENT, f"Government of District {region}", None),
        "park": (EntityClass.PARK, f"Park {index}", None),
        "park2": (EntityClass.PARK, f"Park {rng.randrange(n_docs)}", None),
        "policy": (EntityClass.POLICY, f"Measures {index}", None),
        "person": (EntityClass.PERSON, f"Person {index}", None),
        "org": (EntityClass.ORGANIZATION, f"Institute {region}", None),
    }
    for k in range(6):
        names[f"firm{k}"] = (EntityClass.ENTERPRISE, f"Company {index}-{k}", None)
    facts = [
        ("dist", Predicate.LOCATED_IN, "city"), ("city", Predicate.LOCATED_IN, "prov"),
        ("park", Predicate.LOCATED_IN, "dist"), ("park", Predicate.ESTABLISHED_BY, "gov"),
        ("gov", Predicate.GOVERNS, "dist"), ("policy", Predicate.ISSUED_BY, "gov"),
        ("policy", Predicate.CONCERNS, "park"), ("policy", Predicate.CONCERNS, "park2"),
        ("person", Predicate.AFFILIATED_WITH, "gov"), ("org", Predicate.LOCATED_IN, "city"),
        ("park2", Predicate.HOSTED_IN, "park") if rng.random() < 0.2 else ("org", Predicate.HOSTED_IN, "park"),
    ] + [(f"firm{k}", Predicate.HOSTED_IN, "park") for k in range(6)]
    sentences, entities, relations, pos = [], {}, [], 0
    for i, (s, p, o) in enumerate(facts):
        text = f"{names[s][1]} is linked to {names[o][1]} ({p.value})."
        sentences.append(Sentence(index=i, start=pos, end=pos + len(text), text=text))
        for key, at in ((s, pos), (o, pos + text.index(names[o][1]))):
            cls, name, kind = names[key]
            ent = entities.setdefault(key, Entity(key=name, cls=cls, name=name, aliases={name}, kind=kind))
            ent.mentions.append(Mention(name, at, at + len(name), i))
        relations.append(Relation(s, p, o, i, pos, pos + len(text), round(rng.uniform(0.5, 1.0), 2), "bench"))
        pos += len(text) + 1
    full = " ".join(x.text for x in sentences)
    doc = Document(doc_id=f"bench-{index}", name=f"bench-{index}.txt", path=f"bench-{index}.txt", text=full,
                   sha256=hashlib.sha256(full.encode()).hexdigest(), title=sentences[0].text)
    return Extraction(document=doc, sentences=sentences, entities=entities, relations=relations)


def run(size: int, *, seed: int, with_validate: bool) -> None:
    rng = random.Random(seed)
    n_docs = max(1, size // TRIPLES_PER_DOC)
    started = time.perf_counter()
    ds = assemble([synthetic_document(i, rng, n_docs) for i in range(n_docs)],
                  generated_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    built = time.perf_counter() - started
    result = reason(ds)
    line = (f"{len(ds):>7} triples ({n_docs} docs, built in {built:.1f} s): reasoning {result.seconds:6.2f} s over "
            f"{result.asserted_triples} facts / {result.individuals} individuals -> {len(result.inferred)} inferred, "
            f"{'consistent' if result.consistent else 'INCONSISTENT'}")
    if with_validate:
        from graph.validate import validate

        report = validate(ds, reasoning=result, run_reasoner=False)
        line += "; " + ", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items())
        line += f"; {len(report.findings)} findings"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="target triple counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--validate", action="store_true", help="also time SHACL shapes and SPARQL checks")
    args = parser.parse_args()
    for size in args.sizes:
        run(size, seed=args.seed, with_validate=args.validate)


if __name__ == "__main__":
    main()
