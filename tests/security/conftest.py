"""Security regression tests: each replays an attack of the issue-11 review against the real app.

The indexed test catalog of tests/deliver (real texts, real encoder) serves the upload tests.
"""

from tests.deliver.conftest import ctx, delivery, encoder, indexed_template, smtp  # noqa: F401
