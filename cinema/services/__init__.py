"""Domain services: plain arguments in (ids, ``now``), they own the transaction."""
