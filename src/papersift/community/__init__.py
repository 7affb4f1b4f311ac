"""Community features: accounts, sessions and API tokens, upvotes, collections, trending feeds.

`Community.open(ctx)` wires them onto the catalog's database (its tables come from catalog
migration 0002) and the home's secret key, so the web app and the CLI share one entry point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from papersift.community.accounts import Accounts, ApiToken, RateLimited, User, UserError
from papersift.community.collections import Collection, Collections
from papersift.community.feeds import Feeds
from papersift.community.secret import load_or_create_secret
from papersift.community.votes import Votes

if TYPE_CHECKING:  # the context imports search and indexes: not needed at run time here
    from papersift.context import AppContext

__all__ = [
    "Accounts",
    "ApiToken",
    "Collection",
    "Collections",
    "Community",
    "Feeds",
    "RateLimited",
    "User",
    "UserError",
    "Votes",
]


class Community:
    """The community services over one catalog database."""

    def __init__(self, ctx: AppContext):
        catalog = ctx.catalog
        self.secret = load_or_create_secret(ctx.settings.home)
        self.accounts = Accounts(catalog.engine)
        self.votes = Votes(catalog.engine)
        self.collections = Collections(catalog.engine)
        self.feeds = Feeds(catalog)
