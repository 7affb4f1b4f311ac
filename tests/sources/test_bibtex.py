"""BibTeX: entries streamed block by block, broken blocks reported with their line numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.sources._util import run

BIB = r"""% exported by a reference manager
@string{prd = "Phys. Rev. D"}

@article{Balazs2007,
  title = {Calculation of prompt diphoton production cross sections at {Tevatron} and {LHC} energies},
  author = {Bal{\'a}zs, C. and Berger, E. L. and Nadolsky, P. M. and Yuan, C.-P.},
  journal = prd,
  volume = {76},
  pages = {013009},
  year = {2007},
  month = jul,
  doi = {10.1103/PhysRevD.76.013009},
  eprint = {0704.0001},
  archivePrefix = {arXiv},
  primaryClass = {hep-ph},
  abstract = {A fully \emph{differential} calculation: 50\% of {QCD}},
}

@article{broken,
  title = {Unclosed
  author = {X},

@misc{Imamura1999, title="String Junctions: M{\"u}ller's \textbf{Duals}",
  author = "de la Fontaine, Jean and Smith, Jr., A.", url={https://arxiv.org/abs/hep-th/9901001v3}}
@book{notitle, author = {Nobody}}
@article{dup, title={a}, title={b}}
@inproceedings{Conf, title={A {GPU} Index}, author={Lee, Ann}, booktitle={Proc. SIGIR}, year=2020}
"""


def test_entries_and_broken_blocks(tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(BIB)
    result = run("bibtex", path)
    papers = result.by_id()
    assert list(papers)[:2] == ["0704.0001", "hep-th/9901001"] and len(papers) == 3
    first = papers["0704.0001"]
    assert first.title.startswith("Calculation of prompt diphoton production cross sections at Tevatron")
    assert first.raw_title is not None and "{Tevatron}" in first.raw_title
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.abstract == "A fully differential calculation: 50% of QCD"
    assert first.journal_ref == "Phys. Rev. D, 76, 013009"  # the @string macro was resolved
    assert first.submitted == date(2007, 7, 1) and first.categories == ["hep-ph"]
    assert first.doi == "10.1103/physrevd.76.013009" and first.sources == ["bibtex"]
    second = papers["hep-th/9901001"]
    assert second.title == "String Junctions: Müller's Duals"
    assert second.authors == ["Jean de la Fontaine", "A. Smith Jr."] and second.latest_version == 3
    conf = next(p for p in result.papers if p.title == "A GPU Index")
    assert conf.id.startswith("h:") and conf.journal_ref == "Proc. SIGIR"
    assert conf.submitted == date(2020, 1, 1)
    assert [(e.where.rsplit("/", 1)[1], e.message.split(":")[0]) for e in result.errors] == [
        ("refs.bib:19", "broken BibTeX block"),
        ("refs.bib:25", "missing title"),
        ("refs.bib:26", "broken BibTeX block"),
    ]


def test_undecodable_line_skips_only_its_entry(tmp_path: Path) -> None:
    path = tmp_path / "mixed.bib"
    path.write_bytes(b"@misc{a, title={First}}\n@misc{b,\n title={Caf\xe9}}\n@misc{c, title={Third}}\n")
    result = run("bibtex", path)
    assert [p.title for p in result.papers] == ["First", "Third"]
    assert len(result.errors) == 1 and result.errors[0].where.endswith("mixed.bib:3")
    assert "entry containing it is skipped" in result.errors[0].message
