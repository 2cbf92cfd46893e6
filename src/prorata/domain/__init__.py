"""Pure rules. Nothing here imports a database, a web framework or reads the clock."""
