"""Relevance evaluation on BEIR-layout test collections (corpus, queries, qrels)."""
