"""The registered checks, one module per domain whose records they read (imported by the registry)."""
