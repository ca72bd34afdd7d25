"""Pure-Python core: catalog, billing rules, guidance. Nothing here imports Qt or the database."""
