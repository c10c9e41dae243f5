"""DCAT-AP 3.0 documents validate against the official SHACL shapes with zero violations: the catalog
and every dataset document, in Turtle and JSON-LD."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from tests.opendata.conftest import slug

_CANDIDATES = [Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "dcat-ap-3.0.0-SHACL.ttl",
               Path("/work/shared/testdata/dcat-ap-3.0.0-SHACL.ttl")]


@lru_cache(maxsize=1)
def shapes() -> Graph:
    for path in _CANDIDATES:
        if path.exists():
            return Graph().parse(path)
    pytest.fail(f"DCAT-AP SHACL shapes not found in {[str(p) for p in _CANDIDATES]}")


def violations(data: Graph) -> list[str]:
    _conforms, report, _text = validate(data, shacl_graph=shapes(), inference="none", abort_on_first=False)
    return [f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
             for r in report.subjects(RDF.type, SH.ValidationResult)
             if report.value(r, SH.resultSeverity) == SH.Violation]


def fetch(client, url: str, media: str, fmt: str) -> Graph:
    resp = client.get(url)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith(media)
    return Graph().parse(data=resp.content, format=fmt)


FORMATS = [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld")]


@pytest.mark.parametrize("ext,media,fmt", FORMATS)
def test_catalog_conforms(opendata, client, ext, media, fmt):
    graph = fetch(client, f"/opendata/catalog.{ext}", media, fmt)
    assert violations(graph) == []
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    datasets = set(graph.objects(catalog, DCAT.dataset))
    base = "http://testserver/opendata/datasets/"
    assert URIRef(base + slug(opendata["stations"])) in datasets
    assert URIRef(base + slug(opendata["conditional"])) in datasets
    assert URIRef(base + slug(opendata["closed"])) not in datasets
    assert URIRef(base + slug(opendata["draft"])) not in datasets


@pytest.mark.parametrize("ext,media,fmt", FORMATS)
def test_open_dataset_document_conforms(opendata, client, ext, media, fmt):
    entry = opendata["stations"]
    graph = fetch(client, f"/opendata/datasets/{slug(entry)}.{ext}", media, fmt)
    assert violations(graph) == []
    node = URIRef("http://testserver/opendata/datasets/" + slug(entry))
    assert graph.value(node, DCTERMS.title) == Literal("公共自行车站点", lang="zh")
    assert graph.value(node, DCTERMS.identifier) == Literal(entry["code"])
    assert graph.value(node, DCTERMS.accrualPeriodicity) == \
        URIRef("http://publications.europa.eu/resource/authority/frequency/DAILY")
    assert graph.value(node, DCTERMS.accessRights) == \
        URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
    distributions = list(graph.objects(node, DCAT.distribution))
    assert len(distributions) == 3
    urls = {str(graph.value(d, DCAT.downloadURL)) for d in distributions}
    assert urls == {f"http://testserver/opendata/datasets/{slug(entry)}/download.{f}" for f in ("csv", "json", "xlsx")}
    assert all(graph.value(d, DCTERMS.license) is not None for d in distributions)


@pytest.mark.parametrize("ext,media,fmt", FORMATS)
def test_conditional_dataset_document_conforms(opendata, client, ext, media, fmt):
    entry = opendata["conditional"]
    graph = fetch(client, f"/opendata/datasets/{slug(entry)}.{ext}", media, fmt)
    assert violations(graph) == []
    node = URIRef("http://testserver/opendata/datasets/" + slug(entry))
    assert graph.value(node, DCTERMS.accessRights) == \
        URIRef("http://publications.europa.eu/resource/authority/access-right/RESTRICTED")
    assert list(graph.objects(node, DCAT.distribution)) == []  # data on application only


def test_shapes_catch_a_broken_document(opendata, client):
    """The check is real: a dataset without its title breaks a mandatory property."""
    entry = opendata["stations"]
    graph = fetch(client, f"/opendata/datasets/{slug(entry)}.ttl", "text/turtle", "turtle")
    graph.remove((URIRef("http://testserver/opendata/datasets/" + slug(entry)), DCTERMS.title, None))
    assert violations(graph)
