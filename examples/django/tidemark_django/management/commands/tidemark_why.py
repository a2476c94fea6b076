"""``manage.py tidemark_why "Book.objects.filter(author__name='ann')"``

Runs the ORM expression (model classes are in scope by name), and for every read it makes
shows the SQL, the cache key, the deps, and -- when the cache holds an entry -- Tidemark's
``why`` for the entry's stamp: valid, or which records after the stamp changed which deps
(writer pid, time, meta) and which open intents cover them. The cache is neither read for
serving nor written. ``--key`` explains one cache key directly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from django.apps import apps
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models.query import QuerySet

from tidemark_django import client, conf
from tidemark_django.state import local


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,")


def _dep_arg(dep) -> str:
    return _escape(dep.table) if dep.key is None else f"{_escape(dep.table)}:{_escape(dep.key)}"


class Command(BaseCommand):
    help = "Show Tidemark's `why` for the cached entries of an ORM query."

    def add_arguments(self, parser):
        parser.add_argument("expression", nargs="?", help="an ORM expression, e.g. \"Book.objects.get(pk=3)\"")
        parser.add_argument("--key", help="explain this cache key instead")
        parser.add_argument("--binary", help="the tidemark binary (default: TIDEMARK['BINARY'], $TIDEMARK_BIN, PATH)")
        parser.add_argument("--json", action="store_true", help="ask `tidemark why` for JSON")

    def handle(self, *args, **options):
        if bool(options["expression"]) == bool(options["key"]):
            raise CommandError("give an ORM expression or --key")
        cfg = conf.get()
        if options["key"]:
            entry = caches[cfg.cache_alias].get(options["key"])
            self.stdout.write(f"key: {options['key']}")
            if entry is None:
                self.stdout.write("entry: not cached")
                return
            self._explain(entry[0], entry[1], options)
            return
        captured = self._capture(options["expression"])
        if not captured:
            self.stdout.write("no cacheable read was made (opted out, not cacheable, or no query)")
        for n, item in enumerate(captured, 1):
            self.stdout.write(f"-- query {n}")
            self.stdout.write(f"sql: {item['sql']}")
            self.stdout.write(f"params: {list(item['params'])!r}")
            self.stdout.write(f"key: {item['key']}")
            self.stdout.write("deps: " + " ".join(_dep_arg(d) for d in item["deps"]))
            entry = item["entry"]
            if entry is None:
                self.stdout.write("entry: not cached")
                continue
            self._explain(entry[0], item["deps"], options)

    def _capture(self, expression: str) -> list:
        namespace = {"models": models}
        for model in apps.get_models():
            namespace.setdefault(model.__name__, model)
            namespace[f"{model._meta.app_label}_{model.__name__}"] = model
        local.capture = []
        try:
            result = eval(expression, namespace)  # noqa: S307 - an operator's own expression
            if isinstance(result, QuerySet):
                list(result)
            return local.capture
        finally:
            local.capture = None

    def _explain(self, stamp, deps, options) -> None:
        self.stdout.write(f"stamp: epoch={stamp.epoch} lsn={stamp.lsn}")
        binary = options["binary"] or conf.get().binary or os.environ.get("TIDEMARK_BIN") or shutil.which("tidemark")
        tm = client.get()
        if binary:
            cmd = [binary, "why", "--socket", tm.socket_path, "--epoch", stamp.epoch, "--lsn", str(stamp.lsn)]
            for dep in deps:
                cmd += ["--dep", _dep_arg(dep)]
            if options["json"]:
                cmd.append("--json")
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.SubprocessError) as exc:
                self.stderr.write(f"cannot run {binary} ({exc}); asking the service directly")
            else:
                if proc.returncode in (0, 1):
                    self.stdout.write(proc.stdout.rstrip("\n"))
                    return
                self.stderr.write(f"`tidemark why` failed ({proc.returncode}): {proc.stderr.strip()}; asking the service directly")
        result = tm.check(stamp, deps=deps)
        if result.valid:
            self.stdout.write("valid")
            return
        self.stdout.write(f"not valid: {result.reason}")
        for c in result.changed:
            self.stdout.write(f"  changed: {_dep_arg(c.dep)} now at lsn {c.version}")
        for p in result.pending:
            self.stdout.write(f"  pending: {_dep_arg(p)} (an open intent covers it)")
        tables = sorted({c.table for c in result.changed})
        if tables:
            page = tm.log(from_lsn=stamp.lsn + 1, tables=tables, limit=20)
            for r in page.records:
                changes = json.dumps([c.to_json() for c in r.changes])
                self.stdout.write(f"  lsn {r.lsn} {r.kind} pid={r.peer.pid} {changes} meta={json.dumps(r.meta)}")
