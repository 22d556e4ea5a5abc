"""The link report: by class, how many entities were linked, to what, which were ambiguous or unlinked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from graph.link.reference import QidBasis

__all__ = ["LinkOutcome", "LinkReport"]


@dataclass
class LinkOutcome:
    """One entity's result, in words a reader of the report understands."""

    label: str
    cls: str
    status: str  # linked | placed (identified and enriched, no external ID) | ambiguous | unlinked
    targets: dict[str, str] = field(default_factory=dict)  # "wikidata" -> "Q4970", "geonames" -> "1808926"
    rule: str = ""
    reason: str = ""
    qid_basis: str = ""  # a QidBasis value: how far the linked QID is trusted


@dataclass
class LinkReport:
    """Every outcome, plus notes (e.g. why a class has no offline source)."""

    outcomes: list[LinkOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    enrichment_triples: int = 0

    def by_class(self) -> dict[str, list[LinkOutcome]]:
        out: dict[str, list[LinkOutcome]] = defaultdict(list)
        for o in self.outcomes:
            out[o.cls].append(o)
        return dict(sorted(out.items()))

    def count(self, status: str, cls: str | None = None) -> int:
        return sum(1 for o in self.outcomes if o.status == status and (cls is None or o.cls == cls))

    def lines(self, *, detail: int = 30) -> list[str]:
        """The report as text lines: one summary line per class, then ambiguous and unlinked names.

        Args:
            detail: at most this many names listed per class and status.
        """
        lines = [f"links: {self.count('linked')} linked, {self.count('placed')} placed, "
                 f"{self.count('ambiguous')} ambiguous, "
                 f"{self.count('unlinked')} unlinked; {self.enrichment_triples} enrichment triples"]
        for cls, outs in self.by_class().items():
            linked = [o for o in outs if o.status == "linked"]
            kinds: dict[str, int] = defaultdict(int)
            for o in linked:
                for k in o.targets:
                    kinds[k] += 1
            to_what = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "-"
            lines.append(f"  {cls}: {len(linked)}/{len(outs)} linked ({to_what})")
            bases: dict[str, int] = defaultdict(int)
            for o in linked:
                if o.qid_basis:
                    bases[o.qid_basis] += 1
            if bases:
                order = [b.value for b in QidBasis]
                lines.append("    QIDs by source: " + ", ".join(
                    f"{bases[k]} {k}" for k in sorted(bases, key=lambda k: (order.index(k) if k in order else 99, k)))
                    + _single_source_hint(bases))
            for o in linked[:detail]:
                basis = f"; QID: {o.qid_basis}" if o.qid_basis else ""
                lines.append(f"    linked {o.label} -> {', '.join(f'{k}:{v}' for k, v in sorted(o.targets.items()))}"
                             f" [{o.rule}{basis}]")
            for status in ("placed", "ambiguous", "unlinked"):
                rows = [o for o in outs if o.status == status]
                for o in rows[:detail]:
                    lines.append(f"    {status} {o.label}: {o.reason}")
                if len(rows) > detail:
                    lines.append(f"    ... {len(rows) - detail} more {status}")
        lines += [f"  note: {n}" for n in self.notes]
        return lines


def _single_source_hint(bases: dict[str, int]) -> str:
    single = QidBasis.NATURAL_EARTH_ONLY
    if not bases.get(single.value):
        return ""
    return f" ({single.value}: single source, confidence x{single.weight}; `--online` verifies them by GeoNames ID)"
