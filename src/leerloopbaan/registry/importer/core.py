"""Import a data set (data-format.md): validate every row, then write it whole or not at all.

One pass per file: rows are read as a stream, checked, and (while no error has been found) written
inside one transaction: ``COPY`` on PostgreSQL, batched ``executemany`` on SQLite for absences, bulk
ORM writes for the smaller files. Any invalid row, or a dry run, rolls the whole data set back; the
report names every invalid row. The national number is turned into the pupil key on reading and
never written anywhere (errors show it masked).

The importer knows no file kind: each kind is a module registered in ``registry.importer.kinds`` by
the app that owns its table, and reads its files through the public methods of ``Importer`` below
(``rows``, ``field``, ``pupil_key``, ``school_ref``, ``pupil_ref``, ``report_row``, ``upsert``,
``record_changes``, ``count``, ``error``).

School staff (``allowed`` school numbers) reach only their own pupils: a pupil is *in scope* of the
upload when the uploader's school holds an enrolment of the pupil that is still active (open, or
ending today or later) or one of the current or previous school year. Every other pupil, whether
known to the city or not, gets the one answer an unknown pupil gets (``pupil_ref``), and a pupil of
the data set's pupils.csv who is known to the city but new to the school is counted as added, like
a new pupil. A row that conflicts with another school's enrolment is *held* for the city
(``hold``): not written, kept with the pupil key in ``ImportRun.held`` for the city's analysts,
and counted as added, so that nothing the school is told differs from what it is told about a
pupil the city does not know.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from leerloopbaan.kernel.pseudonym import mask_national_numbers
from leerloopbaan.registry.importer import kinds, rules
from leerloopbaan.registry.importer.bulk import insert_rows
from leerloopbaan.registry.importer.kinds import EXTENSIONS, FileKind
from leerloopbaan.registry.importer.reading import FileProblem, open_rows
from leerloopbaan.registry.importer.rules import Invalid, RowError

MAX_ERRORS = 100_000
# what school staff are told about a pupil outside their reach, known to the city or not
NOT_YOURS = ("not one of your pupils", "add the pupil in pupils.csv of the same upload, with an enrolment in your school")
NEW_PUPILS_NOTICE = ("Pupils new to your school appear in your lists once they fit the city's register; "
                     "conflicts are checked by the city.")
PROGRESS_EVERY = 250_000
BATCH = 20_000


@dataclass
class ImportResult:
    ok: bool
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    run: object = None
    files: list[dict] = field(default_factory=list)
    new_pupils: bool = False  # school staff: the data set names pupils new to their school (NEW_PUPILS_NOTICE)

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "updated": 0, "unchanged": 0, "refused": 0}
        for c in self.counts.values():
            for k in out:
                out[k] += c.get(k, 0)
        return out

    def report_text(self) -> str:
        lines = []
        for name, c in self.counts.items():
            lines.append(f"{name}: {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged, {c['refused']} refused")
        t = self.totals()
        if self.ok:
            verb = "checked (dry run), nothing written" if self.dry_run else "imported"
            lines.append(f"{verb}: {t['added']} added, {t['updated']} updated, {t['unchanged']} unchanged")
            if self.new_pupils:
                lines.append(NEW_PUPILS_NOTICE)
        else:
            lines.append(f"refused: {self.errors_total} problem(s) in {t['refused']} row(s); nothing was written")
            lines += ["  " + e.text() for e in self.errors]
            if self.errors_total > len(self.errors):
                lines.append(f"  ... and {self.errors_total - len(self.errors)} more")
        return "\n".join(lines)


class _Rollback(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect_files(paths: list[Path]) -> tuple[list[tuple[FileKind, Path]], list[RowError]]:
    """The (kind, path) pairs of a data set, in write order, and problems with the paths themselves."""
    found: list[tuple[FileKind, Path]] = []
    errors: list[RowError] = []
    expected = ", ".join(f"{k}.csv or {k}.xlsx" for k in kinds.names())
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.name.startswith(".") or not child.is_file():
                    continue
                kind = kinds.kind_of(child)
                if kind:
                    found.append((kind, child))
                elif child.suffix.lower() in EXTENSIONS:
                    errors.append(RowError(child.name, 0, "", "", "unknown file name", expected))
        elif path.is_file():
            kind = kinds.kind_of(path)
            if kind:
                found.append((kind, path))
            else:
                errors.append(RowError(path.name, 0, "", "", "unknown file name", expected))
        else:
            errors.append(RowError(str(path), 0, "", "", "no such file or folder", "an existing file or folder"))
    found.sort(key=lambda kp: (kp[0].order, kp[0].name))
    return found, errors


def _jsonable(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class Importer:
    """One import of a data set: what the file kinds share (the pupil keys, the known schools and
    pupils, the problems found, the counts per file) and the public methods they read and write with."""

    NOT_YOURS = NOT_YOURS

    def __init__(self, *, user, source, dry_run, progress, allowed_schools):
        from leerloopbaan.registry.models import Pupil, School

        self.user = user
        self.source = source
        self.dry_run = dry_run
        shown = progress or (lambda message: None)
        # progress lines reach the console: masked like every other message of the import
        self.progress = lambda message: shown(mask_national_numbers(message))
        self.allowed = allowed_schools
        # the moment every row this import writes is stamped with (``recorded_at`` of a new row,
        # ``changed_at`` of a changed one): when the data entered the platform
        from leerloopbaan.kernel import clock

        self.now = clock.now()
        self.errors: list[RowError] = []
        self.errors_total = 0
        self.counts: dict[str, dict[str, int]] = {}
        self.keys = rules.PupilKeys(settings.PSEUDONYM_KEY)
        self.schools: dict[str, int] = dict(School.objects.values_list("school_number", "id"))
        self.pupils: dict[str, int] = dict(Pupil.objects.values_list("pupil_key", "id"))
        self.schools_seen: set[str] = set()  # in the data set, even on an invalid row
        self.pupils_seen: set[str] = set()
        self.run = None
        self.vendor = connection.vendor
        self._final_checks: list[Callable[[], None]] = []
        self._scope: set[int] | None = None
        self.held: list[dict] = []           # rows held for the city (school staff, conflicts)
        self.held_keys: set[str] = set()     # the pupils whose rows are held
        # the held enrolments, as the checks of later kinds see them: (pupil id, school id, school year, start, end)
        self.held_periods: list[tuple[int, int, str, datetime.date, datetime.date | None]] = []
        self.new_pupils = False

    # --- reporting ----------------------------------------------------------------------------
    def error(self, file, line, column, value, reason, expected):
        """Report a problem (the data set will not be written)."""
        value = value.replace("\x00", "\\0") if "\x00" in value else value
        self.errors_total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(file, line, column, value, reason, expected))

    def count(self, name: str) -> dict[str, int]:
        """The counts of file ``name`` (added, updated, unchanged, refused), for a kind to add to."""
        return self.counts.setdefault(name, {"added": 0, "updated": 0, "unchanged": 0, "refused": 0})

    def record_changes(self, table: str, items) -> None:
        """Keep the history of changed rows: write RecordChange rows: items of (natural key text, before dict, after dict)."""
        from leerloopbaan.registry.models import RecordChange

        now = timezone.now()
        batch = []
        for key, before, after in items:
            batch.append(RecordChange(import_run=self.run, table=table, natural_key=key[:200],
                                      before={k: _jsonable(v) for k, v in before.items()},
                                      after={k: _jsonable(v) for k, v in after.items()}, at=now))
            if len(batch) >= 5000:
                RecordChange.objects.bulk_create(batch)
                batch = []
        if batch:
            RecordChange.objects.bulk_create(batch)

    # --- shared row helpers -------------------------------------------------------------------
    def rows(self, name: str, kind: FileKind, path: Path):
        """Yield (line, {column: value}) for a file after a header check; problems are reported."""
        try:
            header, rows = open_rows(path)
        except FileProblem as exc:
            self.error(name, exc.line, "", "", exc.reason, exc.expected)
            self.count(name)["refused"] += 0
            return
        problems = rules.check_header(kind, header)
        for column, reason, expected in problems:
            self.error(name, 1, column, "", reason, expected)
        if problems:
            return
        width = len(header)
        try:
            for line, values in rows:
                if len(values) != width:
                    self.error(name, line, "", "", f"row has {len(values)} fields, the header has {width}",
                               f"{width} fields")
                    self.count(name)["refused"] += 1
                    continue
                nul = [h for h, v in zip(header, values, strict=True) if "\x00" in v]
                if nul:
                    self.error(name, line, nul[0], "", "contains a NUL character", "text without control characters")
                    self.count(name)["refused"] += 1
                    continue
                row = {h: v.strip() for h, v in zip(header, values, strict=True)}
                # A national number belongs only in the pupil columns, where it becomes the pupil
                # key; anywhere else (a name, a programme, a school's board) it would be stored.
                stray = [h for h, v in row.items() if h not in rules.PUPIL_COLUMNS and rules.looks_like_national_number(v)]
                if stray:
                    for column in stray:
                        self.error(name, line, column, row[column], "looks like a national number",
                                   "a national number only in the national_number column")
                    self.count(name)["refused"] += 1
                    continue
                yield line, row
        except FileProblem as exc:
            self.error(name, exc.line, "", "", exc.reason, exc.expected)

    def pupil_key(self, row: dict, errs: list) -> str | None:
        """The pupil key of a row's national_number or pupil_key column (None and a problem in ``errs``)."""
        try:
            key, _column, _shown = self.keys.key(row.get("national_number", ""), row.get("pupil_key", ""))
            return key
        except Invalid as exc:
            errs.append((exc.column, exc.shown, exc.reason, exc.expected))
            return None

    def school_ref(self, row: dict, errs: list) -> str | None:
        """The row's school number, when the school is known and one the importing user may name."""
        value = row["school_number"]
        try:
            number = rules.school_number(value)
        except Invalid as exc:
            errs.append(("school_number", value, exc.reason, exc.expected))
            return None
        if self.allowed is not None and number not in self.allowed:
            errs.append(("school_number", value, "this school is not one of your schools",
                         "one of: " + ", ".join(sorted(self.allowed))))
            return None
        if number not in self.schools and number not in self.schools_seen:
            errs.append(("school_number", value, "unknown school", "a school in schools.csv or already imported"))
            return None
        return number

    def pupil_ref(self, key: str | None, row: dict, errs: list) -> bool:
        """Whether the pupil of ``key`` is known (already imported or in this data set); for school
        staff, whether it is in reach (``in_reach``), with one answer for every pupil out of reach."""
        if key is None:
            return False
        if self.allowed is not None:
            if not self.in_reach(key):
                errs.append((*self.pupil_shown(row), *NOT_YOURS))
                return False
            return True
        if key not in self.pupils and key not in self.pupils_seen:
            errs.append((*self.pupil_shown(row), "unknown pupil", "a pupil in pupils.csv or already imported"))
            return False
        return True

    @staticmethod
    def pupil_shown(row: dict) -> tuple[str, str]:
        column = "national_number" if row.get("national_number") else "pupil_key"
        shown = rules.mask_national_number(row["national_number"]) if column == "national_number" else row["pupil_key"]
        return column, shown

    # --- the reach of school staff ------------------------------------------------------------
    def writable_years(self) -> tuple[str, str]:
        """The school years school staff may write enrolments of: the previous and the current one."""
        from leerloopbaan.kernel import clock
        from leerloopbaan.kernel.schoolyear import next_school_year, school_year_of

        current = school_year_of(clock.today())
        return next_school_year(current, -1), current

    def in_scope(self, key: str) -> bool:
        """School staff: whether the uploader's school held, before this data set, an enrolment of the
        pupil that is active (open or ending today or later) or of the current or previous school year."""
        if self.allowed is None:
            return key in self.pupils
        if self._scope is None:
            from django.db.models import Q

            from leerloopbaan.kernel import clock
            from leerloopbaan.registry.models import Enrolment

            today = clock.today()
            self._scope = set(Enrolment.objects.filter(school_id__in=self.school_ids_allowed() or [])
                              .filter(Q(end_date__isnull=True) | Q(end_date__gte=today) | Q(school_year__in=self.writable_years()))
                              .values_list("pupil_id", flat=True))
        pid = self.pupils.get(key)
        return pid is not None and pid in self._scope

    def in_reach(self, key: str) -> bool:
        """Whether rows of this upload may name the pupil: in scope, or in the data set's pupils.csv."""
        return key in self.pupils_seen or self.in_scope(key)

    def hold(self, name: str, kind: str, key: str, values: dict) -> None:
        """Keep a row for the city instead of writing it, and count it as added (what the uploader is
        told about a new pupil): ``ImportRun.held`` names the pupil by key, never by national number."""
        self.held_keys.add(key)
        self.count(name)["added"] += 1
        self.held.append({"file": name, "kind": kind, "pupil_key": key,
                          "values": {k: _jsonable(v) for k, v in values.items() if not k.startswith("_")}})

    def held_enrolment_periods(self, school_ids=None):
        """The held enrolments (pupil id, school id, school year, start, end), of ``school_ids`` when given."""
        return [p for p in self.held_periods if school_ids is None or p[1] in school_ids]

    def field(self, row: dict, column: str, check, errs: list, *, optional: bool = False, default=""):
        """``check(value)`` of a column (None and a problem in ``errs`` when it raises Invalid)."""
        value = row.get(column, "")
        if value == "" and optional:
            return default
        if value == "":
            errs.append((column, "", "required value is empty", "a value"))
            return None
        try:
            return check(value)
        except Invalid as exc:
            errs.append((column, value, exc.reason, exc.expected))
            return None

    def report_row(self, name: str, line: int, errs: list) -> bool:
        """Report a row's problems; True when it has none (count it as refused otherwise)."""
        for column, value, reason, expected in errs:
            self.error(name, line, column, value, reason, expected)
        if errs:
            self.count(name)["refused"] += 1
            return False
        return True

    def check_at_end(self, check: Callable[[], None]) -> None:
        """Run ``check()`` after every kind has loaded, inside the transaction (it sees the rows the data
        set wrote, e.g. its enrolments); a problem it reports refuses the data set."""
        self._final_checks.append(check)

    def school_ids_allowed(self) -> list[int] | None:
        """The ids of the schools the importing user may name (None: any school)."""
        if self.allowed is None:
            return None
        return [self.schools[n] for n in self.allowed if n in self.schools]

    # --- generic upsert for the smaller tables ------------------------------------------------
    def stamps(self, model) -> dict:
        """The record times a new row of ``model`` gets: ``recorded_at`` (and ``changed_at``) = this
        import's moment, for the models that keep them."""
        names = {f.attname for f in model._meta.concrete_fields}
        return {name: self.now for name in ("recorded_at", "changed_at") if name in names}

    def upsert(self, model, table: str, rows: dict, existing: dict, make, fields: list[str], *, instances: bool = False) -> dict:
        """rows: natural key -> (file name, values dict); existing: natural key -> instance;
        make(values) -> the new row as {attname: value}.

        New keys are inserted in bulk, changed ones updated with a RecordChange. With ``instances``
        the new rows are created through the ORM and key -> instance returned (for rows whose ids
        are needed next, like schools); otherwise nothing is returned. A new row is stamped with the
        import's moment (``stamps``); a changed row keeps its ``recorded_at`` and gets ``changed_at``.
        """
        to_create, to_update, changes = [], [], []
        stamps = self.stamps(model)
        changed_at = "changed_at" in stamps
        for nk, (name, values) in rows.items():
            inst = existing.get(nk)
            if inst is None:
                to_create.append((nk, {**make(values), **stamps}))
                self.count(name)["added"] += 1
                continue
            before = {f: getattr(inst, f) for f in fields}
            after = {f: values[f] for f in fields}
            if before == after:
                self.count(name)["unchanged"] += 1
                continue
            diff_before = {f: before[f] for f in fields if before[f] != after[f]}
            diff_after = {f: after[f] for f in fields if before[f] != after[f]}
            for f in fields:
                setattr(inst, f, values[f])
            if changed_at:
                inst.changed_at = self.now
            to_update.append(inst)
            changes.append(("/".join(str(p) for p in nk) if isinstance(nk, tuple) else str(nk), diff_before, diff_after))
            self.count(name)["updated"] += 1
        if self.errors:
            return {}
        if to_update:
            model.objects.bulk_update(to_update, [*fields, *(["changed_at"] if changed_at else [])], batch_size=2000)
            self.record_changes(table, changes)
        if not instances:
            if to_create:
                columns = list(to_create[0][1])
                insert_rows(model, columns, (tuple(d[c] for c in columns) for _nk, d in to_create))
            return {}
        created = model.objects.bulk_create([model(**d) for _nk, d in to_create], batch_size=2000)
        out = {nk: inst for (nk, _), inst in zip(to_create, created, strict=True)}
        out.update({nk: inst for nk, inst in existing.items() if nk in rows})
        return out

    @staticmethod
    def tag_natural_keys(rows: dict) -> None:
        """Put each row's natural key into its values as ``_nk`` (for ``make`` in ``upsert``)."""
        for nk, (_n, values) in rows.items():
            values["_nk"] = nk

    def run_files(self, found: list[tuple[FileKind, Path]]) -> None:
        """Hand each kind its files, in write order."""
        by_kind: dict[str, list[tuple[str, Path]]] = defaultdict(list)
        for kind, path in found:
            shown = path.name if path.name not in [p.name for k, p in found if p is not path] else str(path)
            by_kind[kind.name].append((mask_national_numbers(shown), path))
        for kind in kinds.registered():
            if by_kind.get(kind.name):
                self.progress(f"reading {kind.name} ({', '.join(n for n, _ in by_kind[kind.name])})")
                kind.load(self, by_kind[kind.name])
        if not self.errors_total:
            for check in self._final_checks:
                check()


class DatabaseNotReady(Exception):
    """The database has no tables yet, or not those of this version (migrations not applied)."""


def unapplied_migrations(alias: str) -> list[str]:
    """The migrations not yet applied to database ``alias`` (all of them when it has no tables)."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    return [f"{m.app_label}.{m.name}" for m, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def _may_migrate(alias: str) -> bool:
    """Only the embedded SQLite is migrated by the import; a server database has a migration role
    of its own (docs/deploy.md) and is never changed behind the operator's back."""
    from django.db import connections

    return connections[alias].vendor == "sqlite"


def prepare_database(progress: Callable[[str], None] | None = None) -> None:
    """Make sure every database has the tables of this version before an import: the embedded
    SQLite is migrated; another database raises DatabaseNotReady with what to run."""
    from django.core.management import call_command

    progress = progress or (lambda message: None)
    for alias in settings.DATABASES:
        if _may_migrate(alias) and settings.DATABASES[alias]["NAME"] != ":memory:":
            # the embedded database lives in the data dir, which a first command creates
            Path(str(settings.DATABASES[alias]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
        pending = unapplied_migrations(alias)
        if not pending:
            continue
        if _may_migrate(alias):
            progress(f"database {alias}: {len(pending)} migration(s) not applied: creating the tables (leerloopbaan migrate)")
            call_command("migrate", database=alias, verbosity=0, interactive=False)
            continue
        raise DatabaseNotReady(
            f"the database is not set up for this version ({alias}: {len(pending)} migration(s) not applied, "
            f"e.g. {pending[0]}): run `leerloopbaan migrate` (for a server database: as the migration role, "
            "see docs/deploy.md), then import again; nothing was written")


def import_paths(paths: list[Path], *, user=None, source: str = "command", dry_run: bool = False,
                 progress: Callable[[str], None] | None = None, allowed_schools: set[str] | None = None) -> ImportResult:
    """Import a data set (folders and/or files). Never raises for bad input: the result says why.

    ``allowed_schools``: school numbers the rows may name (school staff: their own schools); by
    default derived from ``user`` (school staff are limited to the schools of their membership).
    """
    from leerloopbaan.accounts.roles import Role
    from leerloopbaan.kernel.audit.services import audit_record
    from leerloopbaan.registry.models import ImportRun

    started = time.monotonic()
    if allowed_schools is None and user is not None and getattr(user, "role", None) == Role.SCHOOL_STAFF:
        from leerloopbaan.registry.selectors import schools_of

        allowed_schools = set(schools_of(user).values_list("school_number", flat=True))
    found, path_errors = collect_files([Path(p) for p in paths])
    files = [{"name": mask_national_numbers(p.name), "kind": k.name, "sha256": _sha256(p), "size": p.stat().st_size}
             for k, p in found]
    imp = Importer(user=user, source=source, dry_run=dry_run, progress=progress, allowed_schools=allowed_schools)
    for e in path_errors:
        imp.error(e.file, e.line, e.column, e.value, e.reason, e.expected)
    if not found and not path_errors:
        imp.error("", 0, "", "", "no import files found", kinds.listing() + " (.csv or .xlsx)")
    user_id = user.pk if user is not None and getattr(user, "pk", None) else None

    def audit(run) -> None:
        audit_record(action="import", subject_type="import", object_repr=", ".join(f["name"] for f in files)[:200],
                     purpose=f"{source} import" + (" (dry run)" if dry_run else ""), actor=user,
                     detail={"run": run.pk, "status": run.status, "counts": imp.counts, "errors": imp.errors_total,
                             "files": [{"name": f["name"], "sha256": f["sha256"]} for f in files],
                             "seconds": round(time.monotonic() - started, 2)})

    committed = audit_failed = False
    try:
        with transaction.atomic():
            imp.run = ImportRun.objects.create(user_id=user_id, source=source, files=files, dry_run=dry_run)
            if found and not path_errors:
                imp.run_files(found)
            if imp.errors_total or dry_run:
                raise _Rollback
            imp.run.counts = imp.counts
            imp.run.status = ImportRun.Status.DONE
            imp.run.finished_at = timezone.now()
            imp.run.held = imp.held
            imp.run.save(update_fields=["counts", "status", "finished_at", "held"])
            # Fail closed: the audit entry (on its own connection) is written before the import
            # commits; when it cannot be written the data set is rolled back, never kept unaudited.
            try:
                audit(imp.run)
            except Exception as exc:
                logging.getLogger("leerloopbaan.registry").error(
                    "the audit entry of the import could not be written; the import is rolled back: %s",
                    mask_national_numbers(f"{type(exc).__name__}: {exc}"))
                imp.error("", 0, "", "", "the audit entry could not be written, so nothing was imported", "")
                imp.counts = {name: {**c, "added": 0, "updated": 0, "unchanged": 0} for name, c in imp.counts.items()}
                audit_failed = True
                raise _Rollback from exc
            committed = True
    except _Rollback:
        pass
    except DatabaseError as exc:
        # a constraint the checks above did not foresee: refuse the data set, keep the message
        imp.error("", 0, "", "", f"the database refused the data set: {str(exc).splitlines()[0][:300]}", "")
    run = imp.run
    if not committed:
        status = ImportRun.Status.CHECKED if (dry_run and not imp.errors_total) else ImportRun.Status.REFUSED
        run = ImportRun.objects.create(user_id=user_id, source=source, files=files, dry_run=dry_run, counts=imp.counts,
                                       status=status, finished_at=timezone.now(),
                                       report=[e.as_dict() for e in imp.errors[:1000]])
    result = ImportResult(ok=imp.errors_total == 0, dry_run=dry_run, counts=imp.counts, errors=imp.errors,
                          errors_total=imp.errors_total, run=run, files=files, new_pupils=imp.new_pupils)
    if not committed and not audit_failed:
        # nothing of the data set was written: the entry records the refusal or the dry run
        audit(run)
    imp.progress(f"done in {time.monotonic() - started:.1f} s")
    if committed:
        from leerloopbaan.registry.signals import import_completed

        # The import is committed: a listener that fails (scoring, handovers) is reported, never
        # turned into a failed import.
        for receiver, outcome in import_completed.send_robust(sender=ImportRun, run=run, counts=imp.counts, progress=imp.progress):
            if isinstance(outcome, Exception):
                # the traceback is logged as masked text: an exception may quote a value of the data set
                trace = mask_national_numbers("".join(traceback.format_exception(outcome)))
                logging.getLogger("leerloopbaan.registry").error(
                    "after the import, %s failed: %s\n%s", getattr(receiver, "__qualname__", receiver),
                    mask_national_numbers(str(outcome)), trace)
                imp.progress(f"warning: the follow-up step {getattr(receiver, '__name__', receiver)} failed: {outcome}")
    return result
