"""Alembic's environment and the revisions of the gateway's database (run by
:func:`gateway.database.migrate` and ``diary-gateway migrate``)."""
