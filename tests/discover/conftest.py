"""The indexed test catalog of tests/deliver (real texts, real encoder) serves these tests too."""

from tests.deliver.conftest import ctx, delivery, encoder, indexed_template  # noqa: F401
