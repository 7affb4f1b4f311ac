"""arXiv OAI-PMH: saved responses, and live harvests against a loopback server replaying the real
recorded responses (shared/data/arxiv-oai-fixtures). Nothing here leaves 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from papersift.catalog import Catalog
from papersift.ingest import ingest
from papersift.paper import Version
from papersift.sources import get_source
from papersift.sources.arxiv_oai import harvest_key
from papersift.sources.base import Checkpoint, RecordError, SourceContext, SourceError
from tests.sources._util import FIXTURES, run
from tests.test_cli_catalog import PAPERSIFT

PAGE1 = "listrecords---should-list-identifiers-from-arxiv.1.200.xml"
BUSY = "listrecords---should-list-identifiers-from-arxiv.0.503.html"
# Retry-After and Content-Type of the recorded 503 (paperhive/oai-pmh nock fixture rawHeaders)
BUSY_HEADERS = {"Retry-After": "10", "Content-Type": "text/html"}
XML = {"Content-Type": "text/xml"}
TOKEN = "papersift-test-token-page-2"
OPTIONS = {"metadataPrefix": "arXiv", "from": "2015-01-01", "until": "2015-01-03"}
RECORDED_QUERY = {"verb": "ListRecords", **OPTIONS}  # the request index.json lists for both responses
PAGE2_QUERY = {"verb": "ListRecords", "resumptionToken": TOKEN}


@pytest.fixture(scope="module")
def recorded(shared_data: Path) -> dict[str, bytes]:
    folder = shared_data / "arxiv-oai-fixtures"
    index = json.loads((folder / "index.json").read_text())
    assert {e["file"]: e["status"] for e in index}[BUSY] == 503
    return {e["file"]: (folder / e["file"]).read_bytes() for e in index}


def first_page(recorded: dict[str, bytes]) -> bytes:
    """The real one-page response, given a resumptionToken so that the harvest has a second page."""
    token = f'<resumptionToken cursor="0" completeListSize="4">{TOKEN}</resumptionToken>\n</ListRecords>'
    return recorded[PAGE1].replace(b"</ListRecords>", token.encode())


class Replay:
    """A loopback HTTP server answering each request with the next scripted (status, headers, body)."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        self.script = list(script)
        self.queries: list[dict[str, str]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                replay.queries.append(dict(parse_qsl(urlsplit(self.path).query)))
                status, headers, body = replay.script.pop(0)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai2"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    servers: list[Replay] = []

    def start(*script: tuple[int, dict[str, str], bytes]) -> Replay:
        servers.append(Replay(list(script)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_saved_real_response(shared_data: Path) -> None:
    result = run("arxiv-oai", shared_data / "arxiv-oai-fixtures" / PAGE1)
    assert [p.id for p in result.papers] == ["1412.8544", "hep-th/9504118"] and result.errors == []
    first, second = result.papers
    assert first.authors == ["Sander Uijlen", "Bas Westerbaan"]
    assert first.title == "A Kochen-Specker system has at least 22 vectors (extended abstract)"
    assert (first.submitted, first.updated) == (date(2014, 12, 29), date(2014, 12, 29))
    assert first.doi == "10.4204/eptcs.172.11" and first.journal_ref == "EPTCS 172, 2014, pp. 154-164"
    assert first.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert first.categories == ["cs.DM"] and first.comments == "In Proceedings QPL 2014, arXiv:1412.8102"
    assert 'the "strength" of the bonds' in second.abstract and second.authors == ["M. Requardt"]
    assert result.checkpoints == []  # saved files carry no resumable position


def test_directory_of_saved_responses_ignores_non_record_verbs(shared_data: Path) -> None:
    # Identify, ListSets, ListMetadataFormats and ListIdentifiers responses hold no records
    assert len(run("arxiv-oai", shared_data / "arxiv-oai-fixtures").papers) == 2


def test_arxiv_raw_and_oai_dc_formats() -> None:
    raw = run("arxiv-oai", FIXTURES / "oai_arxivraw.derived.xml").papers[0]
    assert raw.versions == [Version(1, date(2007, 4, 2)), Version(2, date(2007, 7, 24))]
    assert raw.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert (raw.submitted, raw.updated) == (date(2007, 4, 2), date(2007, 7, 24))
    dc = run("arxiv-oai", FIXTURES / "oai_dc.derived.xml").papers[0]
    assert (dc.id, dc.submitted, dc.updated) == ("0704.0001", date(2007, 4, 2), date(2007, 7, 24))
    assert dc.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert dc.comments == "37 pages, 15 figures; published version" and dc.doi == "10.1103/physrevd.76.013009"
    assert dc.journal_ref == "Phys.Rev.D76:013009,2007" and dc.abstract == raw.abstract


def test_damaged_saved_files(recorded: dict[str, bytes], tmp_path: Path) -> None:
    (tmp_path / "a-cut.xml").write_bytes(recorded[PAGE1][: recorded[PAGE1].index(b"hep-th/9504118")])
    (tmp_path / "b-error.xml").write_bytes(b'<OAI-PMH><error code="badArgument">bad from</error></OAI-PMH>')
    (tmp_path / "c-empty.xml").write_bytes(b'<OAI-PMH><error code="noRecordsMatch">none</error></OAI-PMH>')
    result = run("arxiv-oai", tmp_path)
    assert [p.id for p in result.papers] == ["1412.8544"]
    assert [(Path(e.where).name.split(":")[0], e.message.split(" (")[0]) for e in result.errors] == [
        ("a-cut.xml", "malformed XML"),
        ("b-error.xml", "OAI-PMH error badArgument: bad from"),
    ]


def test_live_harvest_waits_out_503_then_follows_resumption_token(recorded: dict[str, bytes], serve) -> None:
    page2 = (FIXTURES / "oai_page2.derived.xml").read_bytes()
    server = serve((503, BUSY_HEADERS, recorded[BUSY]), (200, XML, first_page(recorded)), (200, XML, page2))
    waits: list[float] = []
    result = run("arxiv-oai", server.url, options=OPTIONS, sleep=waits.append)
    key = harvest_key(server.url, OPTIONS)
    assert key == f"arxiv-oai:{server.url}?from=2015-01-01&metadataPrefix=arXiv&until=2015-01-03"
    assert [type(i).__name__ for i in result.items] == ["Paper", "Paper", "Checkpoint", "Paper", "Checkpoint"]
    # the deleted record on page 2 is skipped
    assert [p.id for p in result.papers] == ["1412.8544", "hep-th/9504118", "0704.0001"]
    assert result.checkpoints == [Checkpoint(key, TOKEN), Checkpoint(key, "")]
    assert waits == [10.0, 3.0]  # Retry-After, then arXiv's 3 s between requests
    assert server.queries == [RECORDED_QUERY, RECORDED_QUERY, PAGE2_QUERY]
    assert result.papers[2].updated == date(2007, 7, 24) and result.errors == []


def test_live_harvest_resumes_from_a_stored_token(serve) -> None:
    server = serve((200, XML, (FIXTURES / "oai_page2.derived.xml").read_bytes()))
    key = harvest_key(server.url, OPTIONS)
    result = run("arxiv-oai", server.url, options=OPTIONS, resume={key: TOKEN}, sleep=lambda s: None)
    assert server.queries == [PAGE2_QUERY]
    assert [p.id for p in result.papers] == ["0704.0001"] and result.checkpoints == [Checkpoint(key, "")]


def test_expired_stored_token_restarts_the_harvest(recorded: dict[str, bytes], serve) -> None:
    expired = (
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badResumptionToken">'
        b"expired</error></OAI-PMH>"
    )
    server = serve((200, XML, expired), (200, XML, recorded[PAGE1]))
    key = harvest_key(server.url, OPTIONS)
    waits: list[float] = []
    result = run("arxiv-oai", server.url, options=OPTIONS, resume={key: "old"}, sleep=waits.append)
    assert server.queries == [{"verb": "ListRecords", "resumptionToken": "old"}, RECORDED_QUERY]
    assert len(result.papers) == 2 and "restarting" in result.errors[0].message and waits == [3.0]


def test_since_becomes_from_and_no_records_is_empty(serve) -> None:
    empty = b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="noRecordsMatch"/></OAI-PMH>'
    server = serve((200, XML, empty))
    result = run("arxiv-oai", server.url, options={"set": "cs"}, since=date(2024, 1, 2), sleep=lambda s: None)
    assert server.queries == [{"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2024-01-02"}]
    assert result.papers == [] and [c.value for c in result.checkpoints] == [""]


@pytest.mark.parametrize(
    ("status", "headers", "body", "message"),
    [
        (200, {"Content-Type": "text/html"}, b"<html><body>Maintenance</body></html>", "200 .*not OAI-PMH XML"),
        (200, XML, b"this is not xml at all", "200 .*not OAI-PMH XML"),
        (500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>", "HTTP 500: Internal Server"),
        (
            200,
            XML,
            b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badArgument">'
            b"Illegal set</error></OAI-PMH>",
            "badArgument: Illegal set",
        ),
    ],
)
def test_error_responses_are_source_errors_naming_url_and_status(
    serve, status: int, headers: dict[str, str], body: bytes, message: str
) -> None:
    server = serve((status, headers, body))
    with pytest.raises(SourceError, match=message) as caught:
        run("arxiv-oai", server.url, sleep=lambda s: None)
    assert server.url in str(caught.value)


def test_endless_503_gives_up_after_five_retries(recorded: dict[str, bytes], serve) -> None:
    server = serve(*[(503, BUSY_HEADERS, recorded[BUSY])] * 6)
    waits: list[float] = []
    with pytest.raises(SourceError, match="HTTP 503: Retry after 10 seconds"):
        run("arxiv-oai", server.url, sleep=waits.append)
    assert waits == [10.0] * 5 and len(server.queries) == 6


def test_records_before_a_broken_page_are_kept(recorded: dict[str, bytes], serve) -> None:
    cut = recorded[PAGE1][: recorded[PAGE1].index(b"hep-th/9504118")]
    server = serve((200, XML, first_page(recorded)), (200, XML, cut))
    items: list[object] = []
    with pytest.raises(SourceError, match="not OAI-PMH XML"):
        for item in get_source("arxiv-oai")(server.url, SourceContext(sleep=lambda s: None)):
            items.append(item)
    assert [type(i).__name__ for i in items] == ["Paper", "Paper", "Checkpoint", "Paper"]
    assert not any(isinstance(i, RecordError) for i in items)


class KillableReplay:
    """Loopback OAI-PMH server: page 1 (with a resumption token) to the first request; later
    requests hang (the harvester gets killed while waiting) until `page2` is set, then get it."""

    def __init__(self, page1: bytes) -> None:
        self.queries: list[dict[str, str]] = []
        self.page2: bytes | None = None
        self.released = threading.Event()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                replay.queries.append(dict(parse_qsl(urlsplit(self.path).query)))
                if len(replay.queries) > 1 and replay.page2 is None:
                    replay.released.wait(60)  # the client is killed meanwhile: nothing to answer
                    return
                body = page1 if len(replay.queries) == 1 else replay.page2
                assert body is not None
                self.send_response(200)
                for name, value in {**XML, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai2"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def killable(recorded: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[KillableReplay]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = KillableReplay(first_page(recorded))
    yield server
    server.close()


def test_harvest_killed_after_a_checkpoint_resumes_through_ingest(killable: KillableReplay, tmp_path: Path) -> None:
    """`papersift ingest arxiv-oai URL` (ingest() in a real process) is killed with SIGKILL while
    waiting for page 2; page 1 and its resumption token were committed together, so ingest()
    run again asks for page 2 by its token (no restart) and the catalog ends with all three papers."""
    home = tmp_path / "home"
    options = [arg for key, value in OPTIONS.items() for arg in ("-o", f"{key}={value}")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERSIFT_")}
    cmd = [*PAPERSIFT, "--home", str(home), "ingest", "arxiv-oai", killable.url, *options]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(killable.queries) < 2:  # page 2 asked for (after the 3 s polite delay): page 1 is done
        assert proc.poll() is None and time.monotonic() < deadline, "the harvest never asked for page 2"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killable.queries == [RECORDED_QUERY, PAGE2_QUERY]
    key = harvest_key(killable.url, OPTIONS)
    catalog = Catalog.open(f"sqlite:///{home / 'catalog.db'}")
    try:
        assert catalog.checkpoints() == {key: TOKEN}
        assert sorted(p.id for p in catalog.iter_all()) == ["1412.8544", "hep-th/9504118"]

        killable.page2 = (FIXTURES / "oai_page2.derived.xml").read_bytes()
        report = ingest(catalog, "arxiv-oai", [killable.url], SourceContext(options=OPTIONS, sleep=lambda s: None))
        assert report.ok and (report.records, report.written.inserted) == (1, 1)
        assert killable.queries[2:] == [PAGE2_QUERY]  # resumed by token, page 1 not fetched again
        assert sorted(p.id for p in catalog.iter_all()) == ["0704.0001", "1412.8544", "hep-th/9504118"]
        assert catalog.checkpoints() == {key: ""}  # the harvest is complete
    finally:
        catalog.close()
