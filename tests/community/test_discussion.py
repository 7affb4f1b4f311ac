"""Discussion service: threads one level deep, own-only edit/delete, reports, hiding, bans,
the posting throttle and the replies a digest reports (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from papersift.community import Community, RateLimited, User, UserError
from papersift.community.accounts import utcnow
from papersift.community.discussion import MAX_COMMENT_CHARS, MAX_COMMENTS_PER_WINDOW


def test_threads_are_one_level_and_replies_join_their_thread(community: Community, ada: User, bob: User) -> None:
    d = community.discussion
    top = d.post(ada, "2405.00001", "  First **point**  ")
    reply = d.post(bob, "2405.00001", "A reply", parent_id=top.id)
    deeper = d.post(ada, "2405.00001", "A reply to the reply", parent_id=reply.id)
    other = d.post(bob, "2405.00002", "Elsewhere")
    assert (top.body, top.author, reply.parent_id, deeper.parent_id) == ("First **point**", "ada", top.id, top.id)
    assert "<strong>point</strong>" in top.html
    threads = d.threads("2405.00001")
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [(top.id, [reply.id, deeper.id])]
    with pytest.raises(UserError, match="not on this paper"):
        d.post(ada, "2405.00001", "cross-paper reply", parent_id=other.id)
    assert d.counts(["2405.00001", "2405.00002", "2405.00003"]) == {"2405.00001": 3, "2405.00002": 1}
    for bad in ("   ", "x" * (MAX_COMMENT_CHARS + 1)):
        with pytest.raises(UserError):
            d.post(ada, "2405.00001", bad)


def test_only_the_author_edits_or_deletes(community: Community, ada: User, bob: User) -> None:
    d = community.discussion
    top = d.post(ada, "2405.00001", "original")
    reply = d.post(bob, "2405.00001", "answer", parent_id=top.id)
    for act in (lambda: d.edit(bob, top.id, "hijacked"), lambda: d.delete(bob, top.id)):
        with pytest.raises(UserError, match="only its author"):
            act()
    edited = d.edit(ada, top.id, "revised")
    assert edited.body == "revised" and edited.edited_at is not None
    d.delete(ada, top.id)  # has a reply: stays as a placeholder without its text
    [thread] = d.threads("2405.00001")
    assert thread.comment.deleted and thread.comment.body == "" and thread.comment.html == ""
    assert [r.id for r in thread.replies] == [reply.id]
    d.delete(bob, reply.id)  # now nothing visible is left
    assert d.threads("2405.00001") == [] and d.counts(["2405.00001"]) == {}
    with pytest.raises(UserError):
        d.post(bob, "2405.00001", "reply to a deleted comment", parent_id=top.id)


def test_reports_hiding_and_bans(community: Community, ada: User, bob: User) -> None:
    d = community.discussion
    spam = d.post(bob, "2405.00001", "buy now")
    d.report(ada, spam.id, "spam")
    d.report(ada, spam.id, "spam, really")  # once per reporter
    [report] = d.reported()
    assert (report.comment.id, report.reports, report.reasons) == (spam.id, 1, ["spam, really"])
    d.post(ada, "2405.00001", "a reply in the spam thread", parent_id=spam.id)
    assert d.counts(["2405.00001"]) == {"2405.00001": 2}
    assert d.set_hidden(spam.id) and not d.set_hidden(10_000)
    assert d.counts(["2405.00001"]) == {}  # the thread is hidden, replies included
    assert d.threads("2405.00001") == [] and d.get(spam.id) is None and d.reported() == []
    assert [r.hidden for r in d.reported(include_hidden=True)] == [True]
    with pytest.raises(UserError):
        d.post(ada, "2405.00001", "reply to hidden", parent_id=spam.id)
    d.set_banned(bob.id)
    for act in (lambda: d.post(bob, "2405.00002", "again"), lambda: d.edit(bob, spam.id, "x")):
        with pytest.raises(UserError, match="no longer comment"):
            act()
    d.set_banned(bob.id, False)
    assert d.post(bob, "2405.00002", "behaving now").body == "behaving now"


def test_posting_is_rate_limited(community: Community, ada: User, bob: User) -> None:
    d = community.discussion
    for i in range(MAX_COMMENTS_PER_WINDOW):
        d.post(ada, "2405.00001", f"comment {i}")
    with pytest.raises(RateLimited):
        d.post(ada, "2405.00001", "one too many")
    assert d.post(bob, "2405.00001", "others are not affected").author == "bob"
    assert d.counts(["2405.00001"]) == {"2405.00001": MAX_COMMENTS_PER_WINDOW + 1}


def test_replies_to_a_user_in_a_period(community: Community, ada: User, bob: User) -> None:
    d = community.discussion
    before = utcnow() - timedelta(seconds=1)
    top = d.post(ada, "2405.00001", "question")
    d.post(ada, "2405.00001", "my own follow-up", parent_id=top.id)  # own replies are no news
    answer = d.post(bob, "2405.00001", "answer", parent_id=top.id)
    hidden = d.post(bob, "2405.00001", "rude answer", parent_id=top.id)
    d.set_hidden(hidden.id)
    now = utcnow()
    assert [c.id for c in d.replies_to(ada, before, now)] == [answer.id]
    assert d.replies_to(ada, now, now + timedelta(days=1)) == []
    assert d.replies_to(bob, None, now) == []
