"""RDF namespaces and the ParkGraph vocabulary as typed constants.

Why: the ontology file is the source of truth; this module gives code typo-proof names for it
(`PG.IndustrialPark`), and a test checks that every name used here is declared in the ontology.
"""

from __future__ import annotations

from enum import Enum

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "BASE",
    "DCTERMS",
    "GRAPH",
    "OWL",
    "PG",
    "PROV",
    "RDF",
    "RDFS",
    "SKOS",
    "XSD",
    "EntityClass",
    "Predicate",
    "bind_prefixes",
]

BASE = "https://w3id.org/parkgraph/"
PG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
DOC = Namespace(BASE + "doc/")
GRAPH = Namespace(BASE + "graph/")

# Named graphs that are not document graphs. Document graphs are GRAPH["doc/<slug>"].
META_GRAPH = GRAPH["meta"]
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]
LINKS_GRAPH = GRAPH["links"]
ANALYSIS_GRAPH = GRAPH["analysis"]


class EntityClass(str, Enum):
    """The seven core classes; values are the ontology's local names."""

    PARK = "IndustrialPark"
    GOVERNMENT = "GovernmentBody"
    POLICY = "Policy"
    ENTERPRISE = "Enterprise"
    PERSON = "Person"
    ORGANIZATION = "Organization"
    PLACE = "Place"

    @property
    def iri(self):
        return PG[self.value]


class PlaceKind(str, Enum):
    """Subclasses of Place, used where the text or reference data tells the level."""

    COUNTRY = "Country"
    PROVINCE = "Province"
    CITY = "City"
    DISTRICT = "District"
    REGION = "Region"


class Predicate(str, Enum):
    """The seven core relations; values are the ontology's local names."""

    LOCATED_IN = "locatedIn"
    ISSUED_BY = "issuedBy"
    CONCERNS = "concerns"
    ESTABLISHED_BY = "establishedBy"
    HOSTED_IN = "hostedIn"
    AFFILIATED_WITH = "affiliatedWith"
    GOVERNS = "governs"

    @property
    def iri(self):
        return PG[self.value]


PREFIXES = {
    "pg": PG,
    "pgid": ID,
    "pgdoc": DOC,
    "pggraph": GRAPH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
}


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib Graph or Dataset, replacing rdflib's defaults."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
