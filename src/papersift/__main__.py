"""`python -m papersift` runs the CLI (used by tests to call the exact installed code)."""

from papersift.cli import run

run()
