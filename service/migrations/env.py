"""Alembic environment: migrations run programmatically through `service.db.migrate`."""

from alembic import context
from sqlalchemy import create_engine

from service.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
connectable = create_engine(url)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several machines may start at once: one migrates, the others wait, then find
            # nothing left to do.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242031)")
        context.run_migrations()
connectable.dispose()
