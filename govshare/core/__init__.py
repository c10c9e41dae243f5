"""Cross-cutting building blocks. `core` imports no domain package."""
