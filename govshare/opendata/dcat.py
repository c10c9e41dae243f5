"""DCAT-AP 3.0 metadata of the open data portal (rdflib), as Turtle and JSON-LD.

The catalog lists public datasets (open and conditional), newest first, `CATALOG_PAGE` per page
(a Hydra partial-collection view links the pages). Every resource a shape constrains by class is
typed in the document itself (frequencies, media types, licences, ...), because the shapes are
checked without inference. Vocabularies: the EU Publications Office authority tables for
frequency, access rights, file types and language; IANA media types.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogClass, CatalogEntry
from govshare.core.database import as_utc
from govshare.opendata import service
from govshare.orgs.models import Organization

EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = Namespace(EU + "frequency/")
ACCESS_RIGHT = Namespace(EU + "access-right/")
FILE_TYPE = Namespace(EU + "file-type/")
LANGUAGE = Namespace(EU + "language/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IANA = "http://www.iana.org/assignments/media-types/"

FREQUENCIES = {"realtime": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
               "quarterly": "QUARTERLY", "yearly": "ANNUAL"}
FREQUENCY_LABELS = {"CONT": "continuous", "DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly",
                    "QUARTERLY": "quarterly", "ANNUAL": "annual"}
ACCESS_RIGHTS = {"open": "PUBLIC", "conditional": "RESTRICTED"}
CATALOG_PAGE = 1000
MEDIA_TYPES = {"ld": "application/ld+json", "ttl": "text/turtle"}


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD), ("skos", SKOS),
                       ("xsd", XSD), ("hydra", HYDRA), ("rdfs", RDFS)):
        g.bind(prefix, ns)
    return g


def _zh(value: str) -> Literal:
    return Literal(value, lang="zh")


def _datetime(value: datetime) -> Literal:
    return Literal(as_utc(value).astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                   datatype=XSD.dateTime)


def _date(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


class _Builder:
    def __init__(self, session: Session, base: str):
        self.session = session
        self.base = base.rstrip("/")
        self.g = _graph()
        self._typed: set = set()

    # ---- shared nodes
    def uri(self, path: str) -> URIRef:
        return URIRef(self.base + path)

    def catalog_uri(self) -> URIRef:
        return self.uri("/opendata/catalog")

    def dataset_uri(self, entry: CatalogEntry) -> URIRef:
        return self.uri(f"/opendata/datasets/{service.slug(entry)}")

    def _once(self, node, build) -> None:
        if node not in self._typed:
            self._typed.add(node)
            build()

    def concept(self, uri: URIRef, cls: URIRef, label: str) -> URIRef:
        """A vocabulary term, typed as the class its shape expects, with a label."""
        def build():
            self.g.add((uri, RDF.type, cls))
            if cls == SKOS.Concept:
                self.g.add((uri, SKOS.prefLabel, Literal(label, lang="en")))
            else:
                self.g.add((uri, RDFS.label, Literal(label, lang="en")))
        self._once(uri, build)
        return uri

    def agent(self, org: Organization) -> URIRef:
        node = self.uri(f"/opendata/organizations/{service.org_slug(org)}#agent")

        def build():
            self.g.add((node, RDF.type, FOAF.Agent))
            self.g.add((node, FOAF.name, _zh(org.name)))
            self.g.add((node, DCTERMS.identifier, Literal(org.code)))
        self._once(node, build)
        return node

    def platform_agent(self) -> URIRef:
        node = self.uri("/opendata#publisher")

        def build():
            self.g.add((node, RDF.type, FOAF.Agent))
            self.g.add((node, FOAF.name, _zh("政务数据共享交换平台")))
            self.g.add((node, FOAF.name, Literal("Government data sharing and exchange platform", lang="en")))
        self._once(node, build)
        return node

    def contact(self, org: Organization) -> URIRef:
        node = self.uri(f"/opendata/organizations/{service.org_slug(org)}#contact")

        def build():
            self.g.add((node, RDF.type, VCARD.Kind))
            self.g.add((node, RDF.type, VCARD.Organization))
            self.g.add((node, VCARD.fn, _zh(org.name)))
            self.g.add((node, VCARD.hasURL, self.uri(f"/opendata/organizations/{service.org_slug(org)}")))
        self._once(node, build)
        return node

    def document(self, uri: URIRef) -> URIRef:
        self._once(uri, lambda: self.g.add((uri, RDF.type, FOAF.Document)))
        return uri

    def license(self) -> URIRef:
        node = URIRef(service.LICENSE_URL)

        def build():
            self.g.add((node, RDF.type, DCTERMS.LicenseDocument))
            self.g.add((node, RDFS.label, Literal(service.LICENSE_TITLE, lang="en")))
        self._once(node, build)
        return node

    def language(self) -> URIRef:
        return self.concept(LANGUAGE.ZHO, DCTERMS.LinguisticSystem, "Chinese")

    def theme_scheme(self) -> URIRef:
        node = self.uri("/opendata/themes")

        def build():
            self.g.add((node, RDF.type, SKOS.ConceptScheme))
            self.g.add((node, DCTERMS.title, _zh("政务信息资源分类")))
            self.g.add((node, DCTERMS.title, Literal("Government information resource classification", lang="en")))
        self._once(node, build)
        return node

    def theme(self, code: str, name: str) -> URIRef:
        node = self.uri(f"/opendata/themes/{code}")

        def build():
            self.g.add((node, RDF.type, SKOS.Concept))
            self.g.add((node, SKOS.prefLabel, _zh(name)))
            self.g.add((node, SKOS.inScheme, self.theme_scheme()))
            self.g.add((node, SKOS.notation, Literal(code)))
        self._once(node, build)
        return node

    # ---- a dataset
    def dataset(self, entry: CatalogEntry, top_class: tuple[str, str] | None) -> URIRef:
        g = self.g
        node = self.dataset_uri(entry)
        org = entry.provider
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.title, _zh(entry.name)))
        g.add((node, DCTERMS.description, _zh(entry.summary)))
        g.add((node, DCTERMS.identifier, Literal(entry.code)))
        g.add((node, DCTERMS.publisher, self.agent(org)))
        g.add((node, DCAT.contactPoint, self.contact(org)))
        g.add((node, DCAT.landingPage, self.document(node)))
        g.add((node, DCTERMS.language, self.language()))
        for keyword in service.tags(entry):
            g.add((node, DCAT.keyword, _zh(keyword)))
        if top_class is not None:
            g.add((node, DCAT.theme, self.theme(*top_class)))
        if entry.publish_date:
            g.add((node, DCTERMS.issued, _date(entry.publish_date)))
        g.add((node, DCTERMS.modified, _datetime(entry.updated_at)))
        code = FREQUENCIES.get(entry.update_cycle)
        if code:
            g.add((node, DCTERMS.accrualPeriodicity,
                   self.concept(FREQUENCY[code], DCTERMS.Frequency, FREQUENCY_LABELS[code])))
        access = ACCESS_RIGHTS[entry.open_type]
        g.add((node, DCTERMS.accessRights, self.concept(ACCESS_RIGHT[access], DCTERMS.RightsStatement,
                                                        access.lower())))
        if entry.open_type == "conditional" and entry.open_condition:
            # The condition in words, and where to apply (the portal's page explains how).
            g.add((node, RDFS.comment, _zh("开放条件：" + entry.open_condition)))
        if service.has_data(entry):
            for fmt, (label, media) in service.DOWNLOAD_FORMATS.items():
                g.add((node, DCAT.distribution, self.distribution(entry, node, fmt, label, media)))
        return node

    def distribution(self, entry: CatalogEntry, dataset: URIRef, fmt: str, label: str, media: str) -> URIRef:
        g = self.g
        node = URIRef(f"{dataset}#{fmt}")
        url = self.uri(f"/opendata/datasets/{service.slug(entry)}/download.{fmt}")
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, _zh(f"{entry.name}（{label}）")))
        self._once(url, lambda: g.add((url, RDF.type, RDFS.Resource)))  # checked by class, without inference
        g.add((node, DCAT.accessURL, url))
        g.add((node, DCAT.downloadURL, url))
        g.add((node, DCTERMS.format, self.concept(FILE_TYPE[label], DCTERMS.MediaTypeOrExtent, label)))
        g.add((node, DCAT.mediaType, self.concept(URIRef(IANA + media), DCTERMS.MediaType, media)))
        g.add((node, DCTERMS.license, self.license()))
        if entry.last_load_at:
            g.add((node, DCTERMS.modified, _datetime(entry.last_load_at)))
        return node

    def catalog(self, page: int, entries: list[CatalogEntry], total: int) -> URIRef:
        g = self.g
        node = self.catalog_uri()
        g.add((node, RDF.type, DCAT.Catalog))
        g.add((node, DCTERMS.title, _zh("政务数据开放目录")))
        g.add((node, DCTERMS.title, Literal("Government open data catalogue", lang="en")))
        g.add((node, DCTERMS.description, _zh("本平台向社会开放的政务数据资源：无条件开放的数据可直接下载，"
                                              "有条件开放的数据经申请后提供。")))
        g.add((node, DCTERMS.description, Literal(
            "Government data open to the public: open datasets can be downloaded, conditionally open "
            "datasets are provided on application.", lang="en")))
        g.add((node, DCTERMS.publisher, self.platform_agent()))
        g.add((node, FOAF.homepage, self.document(self.uri("/opendata"))))
        g.add((node, DCTERMS.language, self.language()))
        g.add((node, DCTERMS.license, self.license()))
        g.add((node, DCAT.themeTaxonomy, self.theme_scheme()))
        if entries:
            g.add((node, DCTERMS.modified, _datetime(max(e.updated_at for e in entries))))
        top = _top_classes(self.session, entries)
        for entry in entries:
            g.add((node, DCAT.dataset, self.dataset(entry, top.get(entry.id))))
        pages = max(1, -(-total // CATALOG_PAGE))
        if pages > 1:  # Hydra paging, as DCAT-AP harvesters read it
            view = BNode()
            g.add((view, RDF.type, HYDRA.PartialCollectionView))
            g.add((view, HYDRA.first, self.uri("/opendata/catalog.ttl?page=1")))
            g.add((view, HYDRA.last, self.uri(f"/opendata/catalog.ttl?page={pages}")))
            if page > 1:
                g.add((view, HYDRA.previous, self.uri(f"/opendata/catalog.ttl?page={page - 1}")))
            if page < pages:
                g.add((view, HYDRA.next, self.uri(f"/opendata/catalog.ttl?page={page + 1}")))
            g.add((view, HYDRA.totalItems, Literal(total)))
            g.add((node, HYDRA.view, view))
        return node


def _top_classes(session: Session, entries: list[CatalogEntry]) -> dict[str, tuple[str, str]]:
    """entry id -> (code, name) of its top classification level (项): the dataset's theme."""
    prefixes = {e.id: f"{e.code.split('/', 1)[0][:3]}" for e in entries}
    if not prefixes:
        return {}
    nodes = {c.code: c.name for c in session.scalars(select(CatalogClass).where(
        CatalogClass.depth == 1, CatalogClass.code.in_(sorted(set(prefixes.values())))))}
    return {eid: (code, nodes[code]) for eid, code in prefixes.items() if code in nodes}


def serialise(graph: Graph, fmt: str) -> bytes:
    if fmt == "ttl":
        return graph.serialize(format="turtle", encoding="utf-8")
    return graph.serialize(format="json-ld", encoding="utf-8", auto_compact=True)


def catalog_document(session: Session, base: str, fmt: str, page: int = 1) -> bytes:
    total = session.execute(text("SELECT count(*) FROM catalog_entries WHERE status = 'published' "
                                 "AND open_type IN ('open', 'conditional')")).scalar_one()
    entries = list(session.scalars(
        select(CatalogEntry).where(CatalogEntry.status == "published",
                                   CatalogEntry.open_type.in_(service.PUBLIC_OPEN_TYPES))
        .order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id.desc())
        .limit(CATALOG_PAGE).offset((page - 1) * CATALOG_PAGE)))
    builder = _Builder(session, base)
    builder.catalog(page, entries, total)
    return serialise(builder.g, fmt)


def dataset_document(session: Session, base: str, ref: str, fmt: str) -> bytes:
    entry = service.get_public_entry(session, ref)
    builder = _Builder(session, base)
    builder.dataset(entry, _top_classes(session, [entry]).get(entry.id))
    return serialise(builder.g, fmt)
