"""Rulebook documents shipped with the package (TOML)."""
