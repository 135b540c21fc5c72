from __future__ import annotations

from tests import factories as f


def test_overview_and_profile_for_the_public(published):
    client = published.client()
    page = client.get("/")
    assert page.status_code == 200, page.text[:2000]
    assert "Phường Đức Xuân" in page.text and "Xếp hạng" in page.text
    unit = client.get(f"/units/{f.COMMUNE}")
    assert unit.status_code == 200, unit.text[:2000]
    assert 'id="index-rank">1<' in unit.text


def test_login_and_admin(published):
    client = published.client("admin")
    page = client.get("/admin")
    assert page.status_code == 200, page.text[:3000]
    assert f.PERIOD in page.text
