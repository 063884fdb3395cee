"""Durable state (optional): every committed write in an SQLite database; state back at start.

See ``persist.database`` and docs/reliability.md.
"""

from minik8s.persist.database import Database

__all__ = ["Database"]
