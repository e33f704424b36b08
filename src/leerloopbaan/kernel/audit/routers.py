"""Route the audit log through its own connection.

The "audit" alias is a second connection (PostgreSQL) or a separate file (SQLite), so an entry is
committed at once, independently of the request's transaction: a read that is followed by an
error and a rollback is still on record.
"""

from django.conf import settings

AUDIT_APP = "audit"
AUDIT_ALIAS = "audit"


class AuditRouter:
    def db_for_read(self, model, **hints):
        return AUDIT_ALIAS if model._meta.app_label == AUDIT_APP else None

    def db_for_write(self, model, **hints):
        return AUDIT_ALIAS if model._meta.app_label == AUDIT_APP else None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if settings.AUDIT_SEPARATE_DATABASE:
            return (app_label == AUDIT_APP) == (db == AUDIT_ALIAS)
        # Same database reached through two connections: migrate everything through "default".
        return db != AUDIT_ALIAS
