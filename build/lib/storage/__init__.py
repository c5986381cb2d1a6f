"""Persistence: SQLAlchemy models, the workspace-scoped repository, migrations."""
