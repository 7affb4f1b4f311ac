"""Every public URL path papersift hands out, for the web app and for mail/feeds alike.

One definition: the web routes are declared with these constants and the digest mails and
Atom/RSS feeds build their links with these functions, so a renamed route cannot leave a
dead link in someone's inbox. Functions return paths; callers prefix `base_url` for
absolute links.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

ACCOUNT_DIGEST = "/account/digest"  # digest settings page
ACCOUNT_CONFIRM = "/account/confirm"  # double opt-in: the page a confirmation link opens
ACCOUNT_CONFIRM_RESEND = "/account/confirm/resend"  # POST: mail a new link with the next digest run
DIGEST_UNSUBSCRIBE = "/digest/unsubscribe"  # the human confirmation page
DIGEST_ONE_CLICK = "/api/digest/unsubscribe"  # RFC 8058 POST target (no cookies, so no CSRF form)
FEEDS = "/feeds"
RELATED = "/related"  # related work for a draft (page); the API is POST /api/related


def confirm_url(token: str) -> str:
    return f"{ACCOUNT_CONFIRM}?{urlencode({'token': token})}"


def paper_url(paper_id: str) -> str:
    """`/papers/<id>`; old-style arXiv ids keep their '/', anything odd is percent-encoded."""
    return "/papers/" + quote(paper_id, safe="/:.")


def author_url(name: str) -> str:
    return "/authors/" + quote(name, safe="")


def category_url(category: str) -> str:
    return "/categories/" + quote(category, safe="")


def discussion_feed_url(paper_id: str) -> str:
    """The Atom feed of a paper's discussion: `/feeds/discussion/<id>.atom`."""
    return f"{FEEDS}/discussion/" + quote(paper_id, safe="/:.") + ".atom"


def comment_url(paper_id: str, comment_id: int) -> str:
    """A comment on its paper's page."""
    return f"{paper_url(paper_id)}#comment-{comment_id}"


def category_feed_url(category: str, fmt: str = "atom") -> str:
    """The newest papers of a category as an Atom (or RSS) feed."""
    return f"{FEEDS}/category/{quote(category, safe='')}.{fmt}"


def author_feed_url(name: str, fmt: str = "atom") -> str:
    """The newest papers of an author as an Atom (or RSS) feed."""
    return f"{FEEDS}/author/{quote(name, safe='')}.{fmt}"
