"""The bundled demo corpus: CC0 arXiv metadata of recent cs.* papers with HF upvotes, plus
their precomputed embeddings, so a fresh clone serves working search within seconds."""

from pathlib import Path

DEMO_DIR = Path(__file__).parent
PAPERS = DEMO_DIR / "papers.jsonl.gz"
VECTORS = DEMO_DIR / "vectors.npz"
