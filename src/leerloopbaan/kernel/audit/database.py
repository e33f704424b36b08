"""The audit log's database roles on PostgreSQL (docs/deploy.md).

Two roles: the *migration role* owns the schema and runs ``migrate``; the *application role* runs the
site, the workers and the scheduled commands and owns nothing. On the audit table the application
role may only SELECT and INSERT; the retention purge reaches it through ``audit_purge_expired()``, a
SECURITY DEFINER function owned by the migration role (migration 0003).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction

logger = logging.getLogger("leerloopbaan.kernel.audit")

AUDIT_TABLE = "audit_auditentry"
RETENTION_TABLE = "audit_retention"
PURGE_FUNCTION = "audit_purge_expired()"

# What the application role is granted on every other table and sequence of the schema.
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APP_SEQUENCE_PRIVILEGES = "USAGE, SELECT"


def _ident(connection, name: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT quote_ident(%s)", [name])
        return cur.fetchone()[0]


def app_role_grants(app_role: str, *, owner_role: str | None = None, schema: str = "public",
                    connection=None) -> list[str]:
    """The statements, run by the migration role after every ``migrate``, that give the application
    role what it needs and nothing more on the audit log. Idempotent.

    ``owner_role``: the migration role, for the default privileges of tables a later ``migrate``
    creates (omitted: the role that runs the statements).
    """
    connection = connection or connections["default"]
    app = _ident(connection, app_role)
    s = _ident(connection, schema)
    defaults = f"ALTER DEFAULT PRIVILEGES{f' FOR ROLE {_ident(connection, owner_role)}' if owner_role else ''} IN SCHEMA {s}"
    return [
        f"GRANT USAGE ON SCHEMA {s} TO {app}",
        f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {app}",
        f"GRANT {APP_SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {s} TO {app}",
        f"{defaults} GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {app}",
        f"{defaults} GRANT {APP_SEQUENCE_PRIVILEGES} ON SEQUENCES TO {app}",
        # The audit log: read and append, nothing else.
        f"REVOKE ALL ON {s}.{AUDIT_TABLE} FROM {app}",
        f"GRANT SELECT, INSERT ON {s}.{AUDIT_TABLE} TO {app}",
        f"REVOKE ALL ON {s}.{RETENTION_TABLE} FROM {app}",
        f"GRANT SELECT ON {s}.{RETENTION_TABLE} TO {app}",
        f"REVOKE ALL ON FUNCTION {s}.{PURGE_FUNCTION} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {s}.{PURGE_FUNCTION} TO {app}",
    ]


def retention_in_database(using: str = "default") -> int | None:
    """The retention (days) the database enforces, or None when it has none (SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or RETENTION_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT days FROM {RETENTION_TABLE}")
        row = cur.fetchone()
    return row[0] if row else None


def set_retention(days: int, using: str = "default") -> None:
    """Make the database enforce ``days`` of retention. Only the migration role (the table's owner)
    may: the application role's attempt fails with a DatabaseError."""
    days = int(days)
    if days <= 0:
        raise ValueError("the retention period is a positive number of days")
    with transaction.atomic(using=using), connections[using].cursor() as cur:
        cur.execute(
            f"INSERT INTO {RETENTION_TABLE} (id, days) VALUES (true, %s) ON CONFLICT (id) DO UPDATE SET days = EXCLUDED.days",
            [days],
        )


def sync_retention(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: keep the database's retention equal to LEERLOOPBAAN_AUDIT_RETENTION_DAYS.

    ``migrate`` runs as the migration role, which may change it. Run as the application role (which
    may not), the change is skipped with a warning rather than failing the migration.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not router.allow_migrate(using, "audit"):
        return
    if RETENTION_TABLE not in connection.introspection.table_names():
        return  # migrated back before 0003
    wanted = int(settings.AUDIT_RETENTION_DAYS)
    if retention_in_database(using) == wanted:
        return
    try:
        set_retention(wanted, using=using)
    except DatabaseError as exc:
        logger.warning("audit retention not changed to %s days (run migrate as the migration role): %s", wanted, exc)
