"""Alembic environment of the records service."""

from services.common.migrations import run_env
from services.records.adapters.orm import Base

run_env(Base.metadata)
