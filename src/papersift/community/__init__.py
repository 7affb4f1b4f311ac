"""Community features: accounts, sessions and API tokens, upvotes, collections, trending feeds,
discussion.

`Community(catalog, home)` wires them onto the catalog's database (its tables come from
catalog migration 0002) and the home's secret key, so the web app and the CLI share one entry
point. It takes the catalog, not the app context, so this package never imports the wiring
above it (the package chain stays one-way).
"""

from __future__ import annotations

from pathlib import Path

from papersift.catalog import Catalog
from papersift.community.accounts import Accounts, ApiToken, RateLimited, User, UserError
from papersift.community.collections import Collection, Collections
from papersift.community.discussion import Discussion
from papersift.community.listings import Listings
from papersift.community.reading import Reading
from papersift.community.secret import load_or_create_secret
from papersift.community.trending import PriorSource
from papersift.community.votes import Votes

__all__ = [
    "Accounts",
    "ApiToken",
    "Collection",
    "Collections",
    "Community",
    "Discussion",
    "Listings",
    "RateLimited",
    "User",
    "UserError",
    "Votes",
]


class Community:
    """The community services over one catalog database."""

    def __init__(self, catalog: Catalog, home: Path, priors: PriorSource | None = None):
        self.secret = load_or_create_secret(home)
        self.accounts = Accounts(catalog.engine)
        self.votes = Votes(catalog.engine)
        self.collections = Collections(catalog.engine)
        self.reading = Reading(catalog.engine)
        self.discussion = Discussion(catalog.engine, self.accounts)
        self.listings = Listings(catalog, priors)
