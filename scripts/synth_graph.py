"""Generate a synthetic ParkGraph graph of the same RDF shape as a corpus build, at any size.

Why: the bundled corpus has a few thousand triples; query latency and community detection must be
measured at 100k-1M triples. The generator writes N-Quads directly (one line per quad) so 1M triples
take seconds, and it is seeded so every run gives the same file.

Shape (see graph/build.py): one named graph per document with entities (type, label, altLabel,
mentionedIn, dates), mentions, sentences, facts with one evidence node each, amounts; the meta graph
(PROV-O per document graph); a links graph with place-hierarchy enrichment (no evidence, as the
linker writes); an inferred graph with inverse `contains` triples. Proportions follow a corpus build.

Example:
    .venv/bin/python scripts/synth_graph.py --triples 100000 --out /tmp/synth-100k.nq
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/parkgraph/"
PG = BASE + "ontology#"
ID = BASE + "id/"
DOC = BASE + "doc/"
GRAPH = BASE + "graph/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"

CLASS = {
    "park": "IndustrialPark",
    "gov": "GovernmentBody",
    "policy": "Policy",
    "enterprise": "Enterprise",
    "person": "Person",
    "org": "Organization",
    "place": "Place",
}
TRIPLES_PER_DOC = 760  # measured on the generator's own output; used to size the document count
ROLES = ("director", "secretary", "chairman", "deputy director", "founder")
UNITS = (("yuan", "CNY", "money"), ("enterprises", "", "count"), ("projects", "", "count"))


def iri(value: str) -> str:
    return f"<{value}>"


def lit(value: object, datatype: str | None = None) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"^^<{datatype}>' if datatype else f'"{text}"'


class Synth:
    """Draws a consistent world (places, parks, bodies, ...) and writes documents about it."""

    def __init__(self, n_docs: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_docs = n_docs
        self.provinces = [f"Province {i}" for i in range(34)]
        self.cities = [f"City {i}" for i in range(max(40, n_docs // 4))]
        self.districts = [f"District {i}" for i in range(max(80, n_docs))]
        self.city_province = {c: self.rng.choice(self.provinces) for c in self.cities}
        self.district_city = {d: self.rng.choice(self.cities) for d in self.districts}
        self.pools = {
            "park": [f"Synthetic Park {i}" for i in range(max(20, n_docs * 3))],
            "gov": [f"Government Body {i}" for i in range(max(10, n_docs * 3 // 2))],
            "policy": [f"Policy Measures {i}" for i in range(max(10, n_docs * 2))],
            "enterprise": [f"Enterprise {i} Co Ltd" for i in range(max(10, n_docs * 3))],
            "person": [f"Person {i}" for i in range(max(10, n_docs * 2))],
            "org": [f"Research Institute {i}" for i in range(max(5, n_docs))],
        }
        self.park_home = {p: self.rng.choice(self.districts) for p in self.pools["park"]}

    def pick(self, kind: str) -> str:
        """A skewed draw, so a few entities appear in many documents as in real news."""
        pool = self.pools[kind]
        index = min(len(pool) - 1, int(len(pool) * (self.rng.random() ** 1.8)))
        return pool[index]

    @staticmethod
    def slug(name: str) -> str:
        return name.lower().replace(" ", "-")

    def ent(self, kind: str, name: str) -> str:
        return f"{ID}{kind}/{self.slug(name)}"

    def document(self, d: int) -> Iterator[str]:
        """All quads of document `d`: its named graph and its PROV description in the meta graph."""
        rng = self.rng
        doc_id = f"synth-{d:06d}"
        doc, g = DOC + doc_id, iri(GRAPH + "doc/" + doc_id)
        meta = iri(GRAPH + "meta")
        digest = hashlib.sha256(doc_id.encode()).hexdigest()
        out: list[tuple[str, str, str]] = [
            (iri(doc), iri(RDF + "type"), iri(PG + "SourceDocument")),
            (iri(doc), iri(PG + "fileName"), lit(doc_id + ".txt")),
            (iri(doc), iri(PG + "contentHash"), lit(digest)),
            (iri(doc), iri(DCT + "title"), lit(f"Synthetic article {d}")),
            (iri(doc), iri(DCT + "source"), lit("synthetic")),
        ]
        entities: dict[str, tuple[str, str]] = {}
        facts: list[tuple[str, str, str, str | None]] = []

        def use(kind: str, name: str) -> str:
            e = self.ent(kind, name)
            entities.setdefault(e, (kind, name))
            return e

        for _ in range(rng.randint(2, 5)):
            park = self.pick("park")
            district = self.park_home[park]
            city = self.district_city[district]
            facts.append((use("park", park), "locatedIn", use("place", district), None))
            facts.append((use("place", district), "locatedIn", use("place", city), None))
            if rng.random() < 0.5:
                facts.append((use("place", city), "locatedIn", use("place", self.city_province[city]), None))
            if rng.random() < 0.4:
                facts.append((use("park", park), "establishedBy", use("gov", self.pick("gov")), None))
            for _ in range(rng.randint(0, 2)):
                facts.append((use("enterprise", self.pick("enterprise")), "hostedIn", use("park", park), None))
            if rng.random() < 0.3:
                facts.append((use("org", self.pick("org")), "hostedIn", use("park", park), None))
            if rng.random() < 0.25:
                facts.append((use("gov", self.pick("gov")), "governs", use("park", park), None))
        parks_here = [e for e, (k, _) in entities.items() if k == "park"]
        for _ in range(rng.randint(1, 3)):
            policy = use("policy", self.pick("policy"))
            facts.append((policy, "issuedBy", use("gov", self.pick("gov")), None))
            if rng.random() < 0.15:
                facts.append((policy, "issuedBy", use("gov", self.pick("gov")), None))
            for park in rng.sample(parks_here, k=min(len(parks_here), rng.randint(1, 3))):
                facts.append((policy, "concerns", park, None))
        for _ in range(rng.randint(1, 2)):
            target_kind = rng.choice(("gov", "org", "enterprise"))
            facts.append(
                (use("person", self.pick("person")), "affiliatedWith", use(target_kind, self.pick(target_kind)),
                 rng.choice(ROLES))
            )

        sentences: list[tuple[int, str]] = []
        quads: list[tuple[str, str, str]] = []
        offset = 0
        for index, (s, p, o, role) in enumerate(facts):
            text = f"{entities[s][1]} {p} {entities[o][1]} according to synthetic sentence {index}."
            sent = f"{doc}/sentence/{index}"
            sentences.append((index, sent))
            quads += [
                (iri(sent), iri(RDF + "type"), iri(PG + "Sentence")),
                (iri(sent), iri(PG + "text"), lit(text)),
                (iri(sent), iri(PG + "sentenceIndex"), lit(index, XSD + "integer")),
                (iri(sent), iri(PG + "startOffset"), lit(offset, XSD + "integer")),
                (iri(sent), iri(PG + "endOffset"), lit(offset + len(text), XSD + "integer")),
                (iri(sent), iri(PG + "inDocument"), iri(doc)),
            ]
            start_o = len(entities[s][1]) + len(p) + 2
            for e, start in ((s, 0), (o, start_o)):
                end = start + len(entities[e][1])
                m = f"{doc}/mention/{offset + start}-{offset + end}"
                quads += [
                    (iri(m), iri(RDF + "type"), iri(PG + "Mention")),
                    (iri(m), iri(PG + "mentionOf"), iri(e)),
                    (iri(m), iri(PG + "surfaceForm"), lit(entities[e][1])),
                    (iri(m), iri(PG + "inSentence"), iri(sent)),
                    (iri(m), iri(PG + "startOffset"), lit(offset + start, XSD + "integer")),
                    (iri(m), iri(PG + "endOffset"), lit(offset + end, XSD + "integer")),
                ]
            quads.append((iri(s), iri(PG + p), iri(o)))
            ev = f"{doc}/evidence/" + hashlib.sha1(f"{s}|{p}|{o}|{offset}".encode()).hexdigest()[:16]
            quads += [
                (iri(ev), iri(RDF + "type"), iri(PG + "Evidence")),
                (iri(ev), iri(RDF + "subject"), iri(s)),
                (iri(ev), iri(RDF + "predicate"), iri(PG + p)),
                (iri(ev), iri(RDF + "object"), iri(o)),
                (iri(ev), iri(PG + "inSentence"), iri(sent)),
                (iri(ev), iri(PG + "startOffset"), lit(offset, XSD + "integer")),
                (iri(ev), iri(PG + "endOffset"), lit(offset + len(text), XSD + "integer")),
                (iri(ev), iri(PG + "confidence"), lit(f"{rng.uniform(0.5, 1):.2f}", XSD + "decimal")),
                (iri(ev), iri(PG + "rule"), lit(f"synthetic-{p}")),
                (iri(ev), iri(PROV + "wasDerivedFrom"), iri(doc)),
            ]
            if role:
                quads.append((iri(ev), iri(PG + "role"), lit(role)))
            offset += len(text) + 1

        for e, (kind, name) in sorted(entities.items()):
            quads += [
                (iri(e), iri(RDF + "type"), iri(PG + CLASS[kind])),
                (iri(e), iri(RDFS + "label"), lit(name)),
                (iri(e), iri(PG + "mentionedIn"), iri(doc)),
            ]
            if kind == "place":
                level = name.split()[0]
                quads.append((iri(e), iri(RDF + "type"), iri(PG + level)))
            if rng.random() < 0.3:
                quads.append((iri(e), iri(SKOS + "altLabel"), lit(name.upper())))
            if kind in ("park", "policy") and rng.random() < 0.5:
                prop = "launchDate" if kind == "park" else "issueDate"
                year = 2015 + int(hashlib.md5(e.encode()).hexdigest(), 16) % 10
                month = 1 + int(hashlib.md5(e.encode()).hexdigest(), 16) % 12
                quads.append((iri(e), iri(PG + prop), lit(f"{year}-{month:02d}", XSD + "gYearMonth")))
            if kind in ("park", "policy") and rng.random() < 0.08 and sentences:
                index, sent = sentences[0]
                unit, currency, qualifier = rng.choice(UNITS)
                value = rng.randint(1, 500) * (1_000_000 if currency else 1)
                a = f"{doc}/amount/" + hashlib.sha1(f"{e}|{index}".encode()).hexdigest()[:12]
                quads += [
                    (iri(e), iri(PG + "statesAmount"), iri(a)),
                    (iri(a), iri(RDF + "type"), iri(PG + "Amount")),
                    (iri(a), iri(PG + "amount"), lit(value, XSD + "decimal")),
                    (iri(a), iri(PG + "unit"), lit(unit)),
                    (iri(a), iri(PG + "text"), lit(f"{value} {unit}")),
                    (iri(a), iri(PG + "qualifier"), lit(qualifier)),
                    (iri(a), iri(PG + "inSentence"), iri(sent)),
                    (iri(a), iri(PG + "startOffset"), lit(0, XSD + "integer")),
                    (iri(a), iri(PG + "endOffset"), lit(10, XSD + "integer")),
                ]
                if currency:
                    quads.append((iri(a), iri(PG + "currency"), lit(currency)))
        for s, p, o in out + quads:
            yield f"{s} {p} {o} {g} .\n"
        dg = iri(GRAPH + "doc/" + doc_id)
        for p, o in (
            (RDF + "type", iri(PG + "DocumentGraph")),
            (RDF + "type", iri(PROV + "Entity")),
            (PROV + "wasDerivedFrom", iri(doc)),
            (PROV + "generatedAtTime", lit("2024-01-01T00:00:00Z", XSD + "dateTime")),
            (PG + "extractorVersion", lit("synthetic/1")),
            (PG + "contentHash", lit(digest)),
        ):
            yield f"{dg} {iri(p)} {o} {meta} .\n"

    def side_graphs(self) -> Iterator[str]:
        """Links (place hierarchy, as the linker's enrichment adds) and inferred (`contains`) graphs."""
        links, inferred = iri(GRAPH + "links"), iri(GRAPH + "inferred")
        located, contains = iri(PG + "locatedIn"), iri(PG + "contains")
        for city in self.cities:
            c, p = iri(self.ent("place", city)), iri(self.ent("place", self.city_province[city]))
            yield f"{c} {located} {p} {links} .\n"
            yield f"{p} {contains} {c} {inferred} .\n"
        for district in self.districts[: len(self.districts) // 2]:
            d, c = iri(self.ent("place", district)), iri(self.ent("place", self.district_city[district]))
            yield f"{d} {located} {c} {links} .\n"
            yield f"{c} {contains} {d} {inferred} .\n"


def generate(path: Path, *, triples: int, seed: int = 7) -> int:
    """Write a synthetic graph of about `triples` quads to `path` (N-Quads); return the exact count."""
    n_docs = max(2, triples // TRIPLES_PER_DOC)
    synth = Synth(n_docs, seed)
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for d in range(n_docs):
            for line in synth.document(d):
                fh.write(line)
                count += 1
        for line in synth.side_graphs():
            fh.write(line)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="approximate number of quads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="N-Quads file to write (.nq)")
    args = parser.parse_args()
    n = generate(args.out, triples=args.triples, seed=args.seed)
    print(f"wrote {args.out}: {n} quads")


if __name__ == "__main__":
    main()
