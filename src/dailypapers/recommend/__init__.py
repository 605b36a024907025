"""Per-reader ranking: a logistic regression over stored paper embeddings (pure numpy)."""
