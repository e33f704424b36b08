"""The interface is Dutch first: every page, in Dutch, shows no English the catalogue translates, and no English
sentence at all; the catalogue translates every string the code marks; and the Dutch says "je", never "u".

The pages: every route of the URL configuration without parameters, requested by every role (and a visitor who
is not logged in), and every route with parameters requested by the roles that own it with their own ids (the
access matrix's table and data: ``tests/foundation/test_access_matrix.py``). A PDF is checked by its text.

Two checks on the Dutch text of a page (visible text and the ``title``, ``aria-label``, ``placeholder`` and
``alt`` attributes):

1. no msgid of the catalogue whose Dutch differs from it appears verbatim (a word-bounded match): a string
   translated at import time, cached in another language, or formatted around gettext;
2. no English function word (``the``, ``you``, ``with``, ...) appears: a string that never went through gettext.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from leerloopbaan.accounts.roles import Role
from tests.foundation import test_access_matrix as matrix
from tests.foundation.routes import _walk
from tests.foundation.test_access_matrix import MATRIX, ROLES, Entry, _body, sign_in

# the access matrix's two parties (every kind of object, every role), built once for this module
media, parties, _media = matrix.media, matrix.parties, matrix._media

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "leerloopbaan"
PO = PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "django.po"
DUTCH = {"HTTP_ACCEPT_LANGUAGE": "nl-BE,nl;q=0.9"}

# routes not rendered as a Dutch page: machine answers (the API, JSON, CSV for software), the admin site
# (Django's own translations), the logout and language switch (redirects)
SKIP_ROUTES = re.compile(r"^(api[-:]|admin:|.*(export|download|csv|json|jsonld|well_known|did|status_list|logout|set_language))")

# English words that are no Dutch words: one of them in Dutch text is a sentence that never went through gettext
ENGLISH = re.compile(r"\b(the|The|you|You|your|Your|with|and|this|This|which|are|has|have|been|from|will|should|would|there|their|"
                     r"cannot|isn't|don't|doesn't|Not|not)\b")
# English that is rightly on a Dutch page: proper names (ESCO skills name search engines), the other language's name
ENGLISH_ALLOWED = ("English", "Open Badges", "Google Search", "Yahoo! Search")


class _Text(HTMLParser):
    """The text a person reads or hears: text outside script/style, and the accessible attributes. ``<code>``
    holds identifiers a person types as they are (file and column names of the import), not interface text."""

    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.parts.append(value)
        if tag in ("br", "p", "li", "td", "th", "div", "option", "h1", "h2", "h3", "h4", "dt", "dd", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code") and self._skip:
            self._skip -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    return re.sub(r"[ \t\r\f\v\u00a0]+", " ", "".join(parser.parts))


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{[^}]*\}\}|\{\w*\}|<[^>]+>|&\w+;")


@cache
def translated_fragments() -> tuple[re.Pattern, dict[str, str]]:
    """One pattern of every English fragment the catalogue translates into something else (the longest part of
    a msgid between placeholders and tags, at least four letters), and fragment -> its msgid."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    dutch = [s for m in catalog if m.id for s in (m.string if isinstance(m.string, tuple | list) else (m.string,)) if s]
    dutch_words = {w.lower() for s in dutch for w in re.findall(r"\w+", s)}
    fragments: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        for msgid in ids:
            if msgid in strings:  # the same in both languages ("School", "OKI", "Status")
                continue
            parts = [p.strip(" .,:;·–()\n") for p in PLACEHOLDER.split(msgid.replace("%%", "%"))]
            part = max(parts, key=len, default="")
            if sum(ch.isalpha() for ch in part) < 4 or any(part in s for s in strings):
                continue
            words = re.findall(r"\w+", part)
            # a word that is Dutch as well ("kind", "school", "data"), or a phrase the Dutch text uses too
            if (len(words) == 1 and words[0].lower() in dutch_words) or any(part in s for s in dutch):
                continue
            fragments.setdefault(html.unescape(part), msgid)
    alternatives = "|".join(re.escape(f) for f in sorted(fragments, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])"), fragments


def english_on(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """What of ``text`` is English: catalogue msgids and English function words, each with some context.
    ``data``: texts of the test data (an offer's title and description), not interface text."""
    cleaned = text
    for allowed in (*ENGLISH_ALLOWED, *sorted(data, key=len, reverse=True)):
        cleaned = cleaned.replace(allowed, "")
    pattern, fragments = translated_fragments()
    found = [f"msgid {fragments[m.group(0)]!r} in " + repr(re.sub(r"\s+", " ", cleaned[max(m.start() - 40, 0):m.end() + 40]).strip())
             for m in pattern.finditer(cleaned)]
    for match in ENGLISH.finditer(cleaned):
        start, end = max(match.start() - 50, 0), match.end() + 50
        found.append("text " + repr(re.sub(r"\s+", " ", cleaned[start:end]).strip()))
    return list(dict.fromkeys(found))


def _pages_without_parameters() -> list[tuple[str, str]]:
    from django.urls import get_resolver

    out = {}
    for key, pattern, full in _walk(get_resolver().url_patterns, "", ()):
        if key == "admin:*" or SKIP_ROUTES.match(key) or pattern.pattern.converters:
            continue
        if getattr(pattern.pattern.regex, "groupindex", None):
            continue
        path = "/" + full.lstrip("^").rstrip("$")
        if "(" in path or "\\" in path:
            continue
        out.setdefault(key, path)
    return sorted(out.items())


def _get_text(client, url: str) -> tuple[int, str, str]:
    response = client.get(url, **DUTCH)
    if response.status_code in (301, 302, 303):
        return response.status_code, "", response["Location"]
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "attachment" in response.get("Content-Disposition", "") and b"/Font" not in body:
            return response.status_code, "", ""  # an uploaded file (evidence), not a document of the platform
        return response.status_code, pdf_text(body), ""
    if "html" not in kind:
        return response.status_code, "", ""
    return response.status_code, visible_text(_body(response)), ""


def test_data_texts(party) -> tuple[str, ...]:
    """The English of the test data (tests/factories.py): names and descriptions, not interface text."""
    offer, achievement = party["offer"], party["achievement"]
    return (offer.title, offer.description, achievement.name, achievement.description, achievement.criteria)


test_data_texts.__test__ = False  # a helper, not a test

WHO = [*ROLES, "anonymous"]


@pytest.mark.parametrize("role", WHO, ids=[str(r) for r in WHO])
def test_every_page_in_dutch_shows_no_english(role, parties, db, client):
    ours = parties["a"]
    if role != "anonymous":
        sign_in(client, ours.user(role))
    pages = list(_pages_without_parameters())
    pages += [(key, entry.url(ours)) for key, entry in MATRIX.items()
              if isinstance(entry, Entry) and not entry.post and role in entry.owners]
    data = test_data_texts(ours) + test_data_texts(parties["b"])
    problems, rendered = [], []
    for key, url in pages:
        status, text, _location = _get_text(client, url)
        if status != 200 or not text:
            continue
        rendered.append(key)
        problems += [f"{key} {url}: {what}" for what in english_on(text, data)]
    assert len(rendered) >= (3 if role == "anonymous" else 8), f"only {rendered} rendered for {role}"
    assert not problems, f"{len(problems)} English strings on Dutch pages as {role}:\n" + "\n".join(problems)


def test_the_error_pages_are_dutch(client, db):
    from django.test import override_settings

    with override_settings(DEBUG=False):
        response = client.get("/no-such-page-here/", **DUTCH)
    assert response.status_code == 404
    text = visible_text(response.content.decode())
    assert "Pagina niet gevonden" in text and not english_on(text), text


def test_the_portrait_pdf_is_dutch(parties, db, client):
    """The school portrait's PDF (ews/school/pdf.py): its text, in Dutch, has no English."""
    ours = parties["a"]
    sign_in(client, ours.user(Role.SCHOOL_STAFF))
    status, text, _location = _get_text(client, f"/ews/portrait/{ours['school'].school_number}/pdf/")
    assert status == 200 and "Schoolportret" in text, text[:500]
    assert not english_on(text, test_data_texts(ours)), english_on(text)


def test_a_refused_form_is_dutch(db):
    """Django's CSRF refusal page (403_csrf.html) in Dutch."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/account/login/", {"username": "x", "password": "y"}, **DUTCH)
    assert response.status_code == 403
    text = visible_text(response.content.decode())
    assert "Niet aanvaard" in text and not english_on(text), text


def test_the_check_finds_english():
    """The check can fail: a translated msgid and an unmarked English sentence are both found."""
    found = english_on("Leerlingen\nBack to the start page\n")
    assert any("Back to the start page" in f for f in found)
    assert english_on("Dit is Nederlands. This page is not.")
    assert not english_on("Dit is Nederlands, met 66,7 % en 06-12-2026.")


# --- the catalogue ----------------------------------------------------------------------------------


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_msgid_has_a_dutch_translation():
    empty, fuzzy = [], []
    for message in _catalog():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if not all(s.strip() for s in strings):
            empty.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not empty, f"msgids without Dutch: {empty}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


FORMAL = re.compile(r"(?<![\w%(])(U|u|Uw|uw|Uzelf|uzelf|Gij|gij)(?![\w)])")


def test_the_dutch_says_je_never_u():
    formal = []
    for message in _catalog():
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        formal += [s for s in strings if s and FORMAL.search(PLACEHOLDER.sub("", s))]
    assert not formal, "formal 'u' in the catalogue (the interface says 'je'):\n" + "\n".join(formal)


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_makemessages_finds_no_string_missing_from_the_catalogue(tmp_path):
    """Django's own extraction (``makemessages``) over a copy of the package adds nothing to the catalogue."""
    import os
    import sys

    copy = tmp_path / "leerloopbaan"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "leerloopbaan.settings",
           "LEERLOOPBAAN_ENV": "demo", "LEERLOOPBAAN_DATA_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "nl", "--no-wrap", "--no-location"],
                   cwd=copy, env=env, check=True, capture_output=True)
    with (copy / "locale" / "nl" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        extracted = read_po(handle)
    known = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in _catalog() if m.id}
    missing = [m.id for m in extracted if m.id and ((m.id if isinstance(m.id, str) else m.id[0], m.context) not in known)]
    assert not missing, "strings marked for translation that the catalogue lacks (append them to django.po):\n" + "\n".join(
        map(str, missing))

