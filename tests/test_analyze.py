"""Network analyses on the corpus build: projection, sponsor network, communities, chains, write-back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import networkx as nx
import pytest
from click.testing import CliRunner

from graph import analyze as an
from graph.cli import main
from graph.community import communities
from graph.store import open_store

GUANGDONG_PARKS = {
    "Guangzhou Blockchain International Innovation Center",
    "Huangpu Chain Valley",
    "Yuexiu International Blockchain Industrial Park",
    "Shenzhen Nanshan Science and Technology Park",
}


@pytest.fixture(scope="module")
def projected(corpus_build):
    return an.project(open_store(corpus_build.out_dir))


def test_projection_is_typed_labelled_and_carries_evidence(projected):
    g = projected
    assert g.number_of_nodes() > 50 and g.number_of_edges() > 20
    assert all(d.get("type") and d.get("label") for _, d in g.nodes(data=True))
    preds = {k for _, _, k in g.edges(keys=True)}
    assert {"locatedIn", "issuedBy", "concerns"} <= preds
    with_evidence = [d for *_, d in g.edges(keys=True, data=True) if d["evidence"]]
    assert with_evidence, "no fact carries its sentence"
    assert all({"file", "sentence", "confidence"} <= set(e) for d in with_evidence for e in d["evidence"])


def test_sponsor_network_links_the_guangdong_parks(projected):
    net = an.sponsor_network(projected)
    by_label = {d["label"]: n for n, d in net.nodes(data=True)}
    parks = [by_label[name] for name in sorted(GUANGDONG_PARKS)]
    for i, a in enumerate(parks):
        for b in parks[i + 1:]:
            assert net.has_edge(a, b), (a, b)
            assert net[a][b]["weight"] >= 1
    rows = an.sponsor_communities(projected)
    community_of = {r["park"]: r["community"] for r in rows}
    assert len({community_of[p] for p in parks}) == 1


def test_communities_recover_planted_groups_deterministically():
    g = nx.planted_partition_graph(4, 25, 0.5, 0.01, seed=3)
    g = nx.relabel_nodes(g, {n: f"n{n:03d}" for n in g})
    parts = communities(g, seed=1)
    assert len(parts) == 4 and sorted(len(p) for p in parts) == [25, 25, 25, 25]
    shuffled = nx.Graph()
    edges = list(g.edges())
    edges.reverse()
    shuffled.add_edges_from(edges)
    assert communities(shuffled, seed=1) == parts


def test_results_are_the_same_in_every_process(corpus_build):
    script = (
        "import json,sys; from graph import analyze as an; from graph.store import open_store;"
        "g = an.project(open_store(sys.argv[1]));"
        "print(json.dumps([an.sponsor_communities(g), an.components(g)[:50]]))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", script, str(corpus_build.out_dir)], env=env,
                             capture_output=True, text=True, check=True)
        outputs.add(res.stdout)
    assert len(outputs) == 1


def test_shortest_chain_reads_as_sentences(projected):
    names = sorted(GUANGDONG_PARKS)
    chain = an.shortest_chain(projected, names[0], names[1])
    assert 1 <= len(chain) <= 3
    ends = {chain[0]["subjectLabel"], chain[0]["objectLabel"], chain[-1]["subjectLabel"], chain[-1]["objectLabel"]}
    assert {names[0], names[1]} <= ends
    lines = an.chain_sentences(chain)
    assert all(line for line in lines) and any('"' in line for line in lines)
    with pytest.raises(an.AnalysisError):
        an.shortest_chain(projected, names[0], "no entity has this name at all")


def test_components_and_isolated_agree(projected):
    rows = an.components(projected)
    assert len(rows) == projected.number_of_nodes()
    sizes = {}
    for r in rows:
        sizes.setdefault(r["component"], r["size"])
    assert sum(sizes.values()) == projected.number_of_nodes()
    assert list(sizes.values()) == sorted(sizes.values(), reverse=True)
    lonely = {r["node"] for r in an.isolated(projected)}
    singletons = {r["node"] for r in rows if r["size"] == 1}
    assert lonely == singletons


def test_centrality_ranks_parks_and_bodies(projected):
    rows = an.centrality(projected)
    assert rows and {r["type"] for r in rows} <= {"GovernmentBody", "IndustrialPark"}
    values = [r["betweenness"] for r in rows]
    assert values == sorted(values, reverse=True)


def test_write_back_adds_the_analysis_graph_only(corpus_build, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(corpus_build.out_dir, build, ignore=shutil.ignore_patterns("store"))
    count = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    before = {str(r["g"]): int(r["n"]) for r in open_store(build).query(count).rows}
    runner = CliRunner()
    out = runner.invoke(main, ["analyze", "sponsor-communities", "--graph", str(build), "--write", "--format", "json"])
    assert out.exit_code == 0, out.output
    after = {str(r["g"]): int(r["n"]) for r in open_store(build).query(count).rows}
    analysis = "https://w3id.org/parkgraph/graph/analysis"
    assert after.pop(analysis) > 0
    assert after == {g: n for g, n in before.items() if g != analysis}
    members = open_store(build).query(
        "SELECT DISTINCT ?park WHERE { ?park <https://w3id.org/parkgraph/analysis#sponsorCommunity> ?c } ORDER BY ?park"
    )
    assert len(members.rows) == len(an.sponsor_communities(an.project(open_store(build))))


def test_cli_analyze_chain_and_formats(corpus_build):
    runner = CliRunner()
    names = sorted(GUANGDONG_PARKS)
    out = runner.invoke(main, ["analyze", "chain", names[0], names[2], "--graph", str(corpus_build.out_dir)])
    assert out.exit_code == 0, out.output
    assert names[0] in out.output and names[2] in out.output
    js = runner.invoke(main, ["analyze", "isolated", "--graph", str(corpus_build.out_dir), "--format", "json"])
    assert js.exit_code == 0 and isinstance(json.loads(js.output), list)
    bad = runner.invoke(main, ["analyze", "chain", "only-one", "--graph", str(corpus_build.out_dir)])
    assert bad.exit_code != 0
