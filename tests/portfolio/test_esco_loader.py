"""ESCO loader: bundled transversal skills, official CSV download, search ranking."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leerloopbaan.portfolio.esco import loader
from leerloopbaan.portfolio.esco.loader import (
    ESCO_ATTRIBUTION,
    EscoFormatError,
    EscoIndex,
    EscoSkillRecord,
    load_bundled,
    load_official_download,
    normalise,
    search,
)

BUNDLED_SKILL_COUNT = 107
URI_RE = re.compile(
    r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
MANAGE_FRUSTRATION = "http://data.europa.eu/esco/skill/1d1fedcb-4995-44ac-90f5-f31a157ce512"


@pytest.fixture(scope="module")
def release():
    return load_bundled()


@pytest.fixture(scope="module")
def index(release):
    return EscoIndex(release.skills)


# --- bundled data ------------------------------------------------------------------------------------


def test_bundled_release_loads_with_version_and_attribution(release):
    assert release.version == "1.0.8"
    assert release.licence == "CC BY 4.0"
    assert release.attribution == ESCO_ATTRIBUTION
    assert len(release.skills) == BUNDLED_SKILL_COUNT


def test_bundled_json_metadata_is_consistent():
    payload = json.loads(loader.BUNDLED_DATA_PATH.read_text(encoding="utf-8"))
    assert payload["skill_count"] == len(payload["skills"]) == BUNDLED_SKILL_COUNT
    assert payload["licence"] == "CC BY 4.0"
    assert payload["collection"] == "transversal skills and competences"
    assert set(payload["sha256_of_sources"]) == {
        "transversalSkillsCollection_en.csv",
        "transversalSkillsCollection_nl.csv",
    }
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in payload["sha256_of_sources"].values())
    uris = [skill["uri"] for skill in payload["skills"]]
    assert uris == sorted(uris)


def test_attribution_file_ships_next_to_the_data():
    text = (loader.BUNDLED_DATA_PATH.parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert ESCO_ATTRIBUTION in text
    assert "CC BY 4.0" in text
    assert "1.0.8" in text


def test_every_bundled_skill_is_complete(release):
    uris = [skill.uri for skill in release.skills]
    assert len(set(uris)) == len(uris)
    for skill in release.skills:
        assert URI_RE.match(skill.uri), skill.uri
        assert skill.label_nl.strip() and skill.label_en.strip(), skill.uri
        assert skill.label_nl == skill.label_nl.strip()
        assert skill.description_nl and skill.description_en, skill.uri
        assert skill.skill_type in ("skill/competence", "knowledge")
        assert skill.reuse_level in ("transversal", "sector-specific")
        assert skill.group_nl and skill.group_en, skill.uri
        assert all(alt.strip() == alt and alt for alt in skill.alt_nl + skill.alt_en)


def test_bundled_skill_content(release):
    skill = release.by_uri()[MANAGE_FRUSTRATION]
    assert skill.label_nl == "omgaan met frustratie"
    assert skill.label_en == "manage frustration"
    assert skill.alt_nl == ["omgaan met ergernissen"]
    assert "cope with frustration" in skill.alt_en
    # The ESCO group "A1.10.0 manage frustration" repeats the skill's own label; the thematic group is used.
    assert (skill.group_nl, skill.group_en) == ("standpunten", "attitudes")
    types = [s.skill_type for s in release.skills]
    assert types.count("knowledge") == 2
    # The multi-line description in the source is trimmed.
    yahoo = next(s for s in release.skills if s.label_en == "use Yahoo! Search")
    assert yahoo.description_en.endswith("relevance and purpose.")
    assert yahoo.reuse_level == "sector-specific"


def test_loader_has_no_django_dependency():
    code = (
        "import sys; import leerloopbaan.portfolio.esco.loader as m; m.load_bundled(); "
        "assert not any(n == 'django' or n.startswith('django.') for n in sys.modules), 'django imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --- search ------------------------------------------------------------------------------------------


def labels(results, language):
    return [skill.label(language) for skill in results]


def test_search_dutch_finds_skill_by_word_in_label(index):
    results = index.search("frustratie", language="nl")
    assert results[0].label_nl == "omgaan met frustratie"
    # "doorzetten" only mentions frustration in its description, so it ranks below.
    assert "doorzetten" in labels(results, "nl")[1:]


def test_search_is_case_and_accent_insensitive(index):
    assert labels(index.search("HYGIENE", language="nl"), "nl")[:2] == [
        "aandacht hebben voor hygiëne",
        "hygiënische werkpraktijken toepassen",
    ]
    plain = index.search("creeren", language="nl")
    assert plain, "no match for 'creeren'"
    assert all("creëren" in skill.description_nl.lower() for skill in plain)
    assert plain == index.search("Creëren", language="nl")


def test_search_ranking_exact_then_prefix_then_word_prefix(index):
    results = labels(index.search("work in teams", language="en"), "en")
    assert results[0] == "work in teams"
    results = labels(index.search("work", language="en", limit=50), "en")
    # label prefix ("work ...") before word prefix ("carry out work-related ...")
    assert results[:4] == [
        "work efficiently",
        "work in teams",
        "work independently",
        "work with shape and space",
    ]
    assert results.index("carry out work-related calculations") > 3


def test_search_ranks_alt_labels_below_labels_and_above_descriptions(index):
    results = index.search("ergernissen", language="nl")
    assert [s.uri for s in results] == [MANAGE_FRUSTRATION]  # only an alternative label matches
    results = labels(index.search("frustration", language="en"), "en")
    assert results[0] == "manage frustration"
    assert "persist" in results  # description: "in spite of fatigue or frustration"
    # alt label "informatie van buiten leren" beats the description "zonder druk van buitenaf",
    # although the alphabet says otherwise
    assert labels(index.search("buiten", language="nl"), "nl") == ["informatie opslaan", "enthousiasme tonen"]


def test_search_finds_dutch_compounds_and_english_labels_from_dutch_ui(index):
    results = labels(index.search("software", language="nl"), "nl")
    assert "tekstverwerkingssoftware gebruiken" in results
    assert results[0] == "software voor spreadsheets gebruiken"  # label prefix first
    # An English query still finds the skill while the UI is Dutch.
    assert index.search("manage frustration", language="nl")[0].uri == MANAGE_FRUSTRATION


def test_search_ties_are_sorted_by_label_and_limit_applies(index):
    results = labels(index.search("digitale", language="nl", limit=5), "nl")
    assert len(results) == 5
    assert results == sorted(results, key=normalise)


def test_search_edge_cases(index, release):
    assert index.search("", language="nl") == []
    assert index.search("   ", language="en") == []
    assert index.search("xyzzy-nothing", language="en") == []
    with pytest.raises(ValueError):
        index.search("team", language="de")
    # the module-level helper accepts plain records too
    assert search(release.skills, "frustratie", language="nl", limit=1)[0].uri == MANAGE_FRUSTRATION


def test_search_multiword_query_in_any_order(index):
    assert index.search("frustratie omgaan", language="nl")[0].uri == MANAGE_FRUSTRATION


def test_search_is_fast_on_a_full_size_pillar(release):
    import time

    records = [
        EscoSkillRecord(**{**skill.__dict__, "uri": f"{skill.uri}-{i}"})
        for i in range(130)
        for skill in release.skills
    ]  # ~13,900 records, the size of the full ESCO skills pillar
    big = EscoIndex(records)
    start = time.perf_counter()
    for query in ("frustratie", "software", "work", "digitale inhoud", "creeren"):
        assert big.search(query, language="nl")
    # A guard against a pathological (e.g. quadratic) search, not a speed figure: it failed at 2.6 s
    # on a machine loaded fourteen-fold by parallel work. The speed itself belongs in a benchmark.
    assert time.perf_counter() - start < 15


# --- official CSV download ---------------------------------------------------------------------------

HEADER = [
    "conceptType",
    "conceptUri",
    "skillType",
    "reuseLevel",
    "preferredLabel",
    "altLabels",
    "hiddenLabels",
    "status",
    "description",
]
S1 = "http://data.europa.eu/esco/skill/0005c151-5b5a-4a66-8aac-60e734beb1ab"
S2 = "http://data.europa.eu/esco/skill/00064735-8fad-454b-90c7-ed858cc993f2"
S3 = "http://data.europa.eu/esco/skill/000f1d3d-220f-4789-9c0a-cc742521fb02"


def write_csv(path: Path, rows, header=HEADER):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def en_rows():
    return [
        [
            "KnowledgeSkillCompetence",
            S1,
            "skill/competence",
            "sector-specific",
            "manage musical staff",
            "coordinate duties of musical staff\nmanage staff of music",
            "",
            "released",
            "Assign and manage staff tasks in areas such as scoring, arranging, copying music.",
        ],
        [
            "KnowledgeSkillCompetence",
            S2,
            "skill/competence",
            "occupation-specific",
            "supervise correctional procedures",
            "",
            "",
            "released",
            "Supervise the operations of a correctional facility.",
        ],
    ]


def nl_rows():
    return [
        [
            "KnowledgeSkillCompetence",
            S1,
            "skill/competence",
            "sector-specific",
            "muziekpersoneel beheren",
            "taken van muziekpersoneel coördineren",
            "",
            "released",
            "Taken van personeel toewijzen en beheren.",
        ],
        [
            "KnowledgeSkillCompetence",
            S2,
            "skill/competence",
            "occupation-specific",
            "toezicht houden op correctionele procedures",
            "",
            "",
            "released",
            "Toezicht houden op de werking van een penitentiaire instelling.",
        ],
    ]


def test_official_download_loads_both_languages(tmp_path):
    write_csv(tmp_path / "skills_en.csv", en_rows())
    write_csv(tmp_path / "Skills_NL.CSV", nl_rows())  # names match case-insensitively
    (tmp_path / "occupations_en.csv").write_text("ignored", encoding="utf-8")
    release = load_official_download(tmp_path, version="1.2.0")
    assert release.version == "1.2.0"
    assert [s.uri for s in release.skills] == [S1, S2]
    first = release.skills[0]
    assert (first.label_nl, first.label_en) == ("muziekpersoneel beheren", "manage musical staff")
    assert first.alt_en == [
        "coordinate duties of musical staff",
        "manage staff of music",
    ]  # newline-separated
    assert first.alt_nl == ["taken van muziekpersoneel coördineren"]
    assert first.group_nl is None and first.group_en is None  # no broader columns in skills_xx.csv
    assert search(release.skills, "coordineren", language="nl")[0].uri == S1


def test_official_download_uses_broader_columns_when_present(tmp_path):
    header = [*HEADER, "broaderConceptUri", "broaderConceptPT"]
    group = "http://data.europa.eu/esco/skill/8f18f987-33e2-4228-9efb-65de25d03330"
    write_csv(
        tmp_path / "skills_en.csv",
        [
            [*row, f"{group} | http://data.europa.eu/esco/skill/S1.5.0", "social interaction | advising"]
            for row in en_rows()
        ],
        header,
    )
    write_csv(tmp_path / "skills_nl.csv", [[*row, group, "sociale interactie"] for row in nl_rows()], header)
    skill = load_official_download(tmp_path, version="1.0.8").skills[0]
    assert (skill.group_nl, skill.group_en) == ("sociale interactie", "social interaction")


def test_official_download_missing_column_names_file_and_column(tmp_path):
    header = [column for column in HEADER if column != "preferredLabel"]
    write_csv(tmp_path / "skills_en.csv", [row[:4] + row[5:] for row in en_rows()], header)
    write_csv(tmp_path / "skills_nl.csv", nl_rows())
    with pytest.raises(EscoFormatError) as caught:
        load_official_download(tmp_path, version="1.2.0")
    message = str(caught.value)
    assert "skills_en.csv" in message and "line 1" in message and "preferredLabel" in message
    assert (caught.value.file, caught.value.line, caught.value.column) == (
        "skills_en.csv",
        1,
        "preferredLabel",
    )


def test_official_download_reports_skill_missing_from_dutch(tmp_path):
    extra = [
        "KnowledgeSkillCompetence",
        S3,
        "knowledge",
        "cross-sector",
        "organic chemistry",
        "",
        "",
        "released",
        "The chemistry of carbon compounds.",
    ]
    write_csv(tmp_path / "skills_en.csv", [*en_rows(), extra])
    write_csv(tmp_path / "skills_nl.csv", nl_rows())
    with pytest.raises(EscoFormatError) as caught:
        load_official_download(tmp_path, version="1.2.0")
    message = str(caught.value)
    assert "skills_nl.csv" in message and S3 in message and "1 skill" in message
    assert S1 not in message


def test_official_download_lists_only_the_first_missing_skills(tmp_path):
    many = [
        [*en_rows()[0][:1], f"http://data.europa.eu/esco/skill/extra-{i:02d}", *en_rows()[0][2:]]
        for i in range(8)
    ]
    write_csv(tmp_path / "skills_en.csv", [*en_rows(), *many])
    write_csv(tmp_path / "skills_nl.csv", nl_rows())
    with pytest.raises(EscoFormatError, match=r"8 skill\(s\).*extra-04 and 3 more"):
        load_official_download(tmp_path, version="1.2.0")


def test_official_download_rejects_bad_uri_with_line_and_column(tmp_path):
    rows = en_rows()
    rows[1][1] = "http://data.europa.eu/esco/occupation/00064735-8fad-454b-90c7-ed858cc993f2"
    write_csv(tmp_path / "skills_en.csv", rows)
    write_csv(tmp_path / "skills_nl.csv", nl_rows())
    # the first data row spans two physical lines (multi-line altLabels), so the second row starts on line 4
    with pytest.raises(
        EscoFormatError, match=r"skills_en\.csv, line 4, column conceptUri: expected a skill URI"
    ):
        load_official_download(tmp_path, version="1.2.0")


def test_official_download_missing_file_and_bad_values(tmp_path):
    write_csv(tmp_path / "skills_en.csv", en_rows())
    with pytest.raises(EscoFormatError, match=r"skills_nl\.csv: file not found"):
        load_official_download(tmp_path, version="1.2.0")
    rows = nl_rows()
    rows[0][2] = "competence"
    write_csv(tmp_path / "skills_nl.csv", rows)
    with pytest.raises(EscoFormatError, match=r"skills_nl\.csv, line 2, column skillType: expected one of"):
        load_official_download(tmp_path, version="1.2.0")
    rows[0][2] = "skill/competence"
    rows[1][4] = "  "
    write_csv(tmp_path / "skills_nl.csv", rows)
    with pytest.raises(EscoFormatError, match=r"line 3, column preferredLabel"):
        load_official_download(tmp_path, version="1.2.0")
    with pytest.raises(EscoFormatError, match="version"):
        load_official_download(tmp_path, version=" ")


def test_official_download_rejects_languages_that_disagree_on_skill_type(tmp_path):
    rows = nl_rows()
    rows[1][2] = "knowledge"
    write_csv(tmp_path / "skills_en.csv", en_rows())
    write_csv(tmp_path / "skills_nl.csv", rows)
    with pytest.raises(
        EscoFormatError, match=r"skills_nl\.csv, line 3, column skillType: expected 'skill/competence'"
    ):
        load_official_download(tmp_path, version="1.2.0")
