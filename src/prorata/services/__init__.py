"""Use cases: load, decide with the domain engine, store — in one unit of work."""
