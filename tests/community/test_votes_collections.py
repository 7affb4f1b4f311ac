"""Votes (one per user and paper, undo) and collections (privacy, editing, export)."""

from __future__ import annotations

import json

import bibtexparser
import pytest

from papersift.community import Community, User, UserError
from papersift.community.export import to_bibtex, to_jsonl
from papersift.context import AppContext
from papersift.paper import make_paper


def test_one_vote_per_user_and_undo(community: Community, ada: User, bob: User) -> None:
    votes = community.votes
    assert votes.vote(ada, "2405.00001") and not votes.vote(ada, "2405.00001")
    assert votes.vote(bob, "2405.00001")
    assert votes.counts(["2405.00001", "2405.00002"]) == {"2405.00001": 2}
    assert votes.voted(ada, ["2405.00001", "2405.00002"]) == {"2405.00001"}
    assert votes.unvote(ada, "2405.00001") and not votes.unvote(ada, "2405.00001")
    assert votes.counts(["2405.00001"]) == {"2405.00001": 1}
    assert votes.voted(None, ["2405.00001"]) == set()


def test_collections_privacy_and_editing(community: Community, ada: User, bob: User) -> None:
    cols = community.collections
    c = cols.create(ada, "  Reading   list ", "to read")
    assert (c.name, c.public, c.size) == ("Reading list", False, 0)
    assert cols.get(c.id, ada) is not None
    assert cols.get(c.id, bob) is None and cols.get(c.id, None) is None  # private looks missing
    assert cols.add(ada, c.id, "2405.00001") is True
    assert cols.add(ada, c.id, "2405.00001") is False
    assert cols.add(bob, c.id, "2405.00002") is None  # not bob's
    assert cols.update(bob, c.id, public=True) is None
    public = cols.update(ada, c.id, name="Favourites", public=True)
    assert public is not None and public.public and public.name == "Favourites" and public.size == 1
    assert cols.get(c.id, None) is not None and cols.get(c.id, bob) is not None
    assert cols.containing(ada, "2405.00001") == {c.id}
    assert cols.remove(ada, c.id, "2405.00001") is True
    assert cols.paper_ids(c.id) == []
    assert not cols.delete(bob, c.id)
    assert cols.delete(ada, c.id) and cols.get(c.id, ada) is None


def test_collection_names_unique_per_user(community: Community, ada: User, bob: User) -> None:
    community.collections.create(ada, "Reading")
    community.collections.create(bob, "Reading")  # another user may reuse it
    with pytest.raises(UserError, match="already have"):
        community.collections.create(ada, "Reading")
    with pytest.raises(UserError):
        community.collections.create(ada, "   ")
    other = community.collections.create(ada, "Other")
    with pytest.raises(UserError):
        community.collections.update(ada, other.id, name="Reading")


def test_bibtex_export_round_trips_through_a_bibtex_parser(ctx: AppContext) -> None:
    papers = list(ctx.catalog.get_many(["2405.00001", "2405.00002", "2405.00003", "hep-th/9901001"]).values())
    odd = make_paper(
        source="t",
        title="Unbalanced { brace",
        abstract="a } b {",
        arxiv_id="2405.00009",
        authors=["Ada Lovelace"],
    )
    text = to_bibtex([*papers, odd])
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    entries = {e.fields_dict["eprint"].value: e for e in library.entries}
    assert set(entries) == {"2405.00001", "2405.00002", "2405.00003", "hep-th/9901001", "2405.00009"}
    assert entries["2405.00002"].fields_dict["author"].value == "Alan Turing and Ada Lovelace"
    assert entries["2405.00001"].fields_dict["year"].value == "2024"
    assert len({e.key for e in library.entries}) == 5  # keys unique


def test_jsonl_export_is_one_record_per_line(ctx: AppContext) -> None:
    papers = list(ctx.catalog.get_many(["2405.00001", "hep-th/9901001"]).values())
    lines = to_jsonl(papers).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [p.id for p in papers]
