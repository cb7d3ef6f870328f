"""The proof-of-work search: the definition (`pow`), the fast search and its C kernels."""
