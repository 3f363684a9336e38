"""HTTP layer: the app factory, problem responses and shared dependencies."""
