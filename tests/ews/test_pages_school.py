"""School pages: portrait content, comment, PDF, charts."""

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.models import PortraitComment
from leerloopbaan.kernel import charts
from leerloopbaan.kernel.audit.testing import assert_audited

from .test_roles_ews import city, user_for  # noqa: F401


def test_charts_are_accessible_svg():
    line = charts.line_chart({"School <A>": [("2023-2024", 0.1), ("2024-2025", None), ("2025-2026", 0.2)]}, title="VSV & co",
                             y_label="rate", percent=True)
    assert line.startswith("<svg") and 'role="img"' in line and "VSV &amp; co</title>" in line and "School &lt;A&gt;" in line
    bar = charts.bar_chart([("low", 3), ("high", 0)], title="Bands")
    assert "aria-labelledby=" in bar and ">Bands</title>" in bar and bar.count("<rect") == 2
    assert charts.bar_chart([], title="empty").endswith("</svg>")


def test_portrait_comment_pdf_and_audit(city, make_user, login, client):  # noqa: F811
    staff = user_for(Role.SCHOOL_STAFF, city, make_user)
    login(staff)
    with assert_audited(count=1, subject_type="school"):
        html = client.get(f"/ews/portrait/100/?year={city['year']}").content.decode()
    assert "portrait-figures" in html and "<svg" in html and "comment-text" in html
    assert client.post("/ews/portrait/100/comment/", {"school_year": city["year"], "text": "Wij werken aan spijbelen – ŉ test"}).status_code == 302
    assert PortraitComment.objects.get(school=city["A"], school_year=city["year"]).text.startswith("Wij werken")
    pdf = client.get(f"/ews/portrait/100/pdf/?year={city['year']}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 1000


def test_portrait_home_redirects_staff_and_lists_for_city(city, make_user, login, client):  # noqa: F811
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    assert client.get("/ews/portrait/")["Location"].endswith("/ews/portrait/100/")
    client.logout()
    login(user_for(Role.CITY_ANALYST, city, make_user))
    html = client.get("/ews/portrait/").content.decode()
    assert "School A" in html and "School B" in html
    assert client.post("/ews/portrait/100/comment/", {"school_year": city["year"], "text": "x"}).status_code == 403


def test_pdf_contains_school_name():
    import re

    from leerloopbaan.ews.school import pdf
    from leerloopbaan.ews.selectors import Figure

    class S:
        name, school_number = "Sint-Jan Ijzer", "123"

    data = {"school": S(), "school_year": "2025-2026", "figures": [Figure("Pupils", "10", "<5", "100")], "vsv_rows": [],
            "quintile": 2, "peer_count": 3, "suppressed": True, "comment": None, "reference_date": None}
    content = pdf.portrait_pdf(data)
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    # the document's title (an uncompressed Info entry) names the school and the year
    assert re.search(rb"/Title \(Sint-Jan Ijzer 2025-2026\)", content)
