"""Alembic environment of the imports service."""

from services.common.migrations import run_env
from services.imports.adapters.orm import Base

run_env(Base.metadata)
