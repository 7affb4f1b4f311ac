"""The Milvus backend: one Milvus collection holds what the embedded default keeps in tantivy
and the vector file, so the indexer and the search service run on it unchanged.

Importing this package does not import pymilvus; `MilvusStore.open` does, and says how to
install it when it is missing.
"""

from papersift.index.milvus.store import MilvusBackendError, MilvusStore

__all__ = ["MilvusBackendError", "MilvusStore"]
