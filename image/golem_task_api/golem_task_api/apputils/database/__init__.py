"""One peewee database per app process, bound on first use (0.24's `apputils.database`)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import peewee

#: Models declare `database = database`; `initialize_database` binds it.
database = peewee.DatabaseProxy()


def initialize_database(db: Any, db_path: Path, models: Iterable[Any]) -> None:
    """Open `db` at `db_path` (creating its directory), bind the proxy, create missing tables."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db.init(str(db_path))
    database.initialize(db)
    database.create_tables(list(models), safe=True)
