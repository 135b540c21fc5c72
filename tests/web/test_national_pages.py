"""The national page (public): every province of each era, published ranks and recomputed ones, the map,
a province's series — from demo-like figures recorded through the national service."""

from __future__ import annotations

import re

import pytest
from tests import factories as f


@pytest.fixture
def nationwide(site):
    with site.session() as s:
        f.national_figures(s, site.people["admin"])
        s.commit()
    return site


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="p-(\d+)"', html)


def test_every_province_of_each_era(nationwide):
    client = nationwide.client()
    page = client.get("/national/2022")  # published on the 63 provinces
    assert page.status_code == 200, page.text[:1000]
    assert len(rows(page.text)) == 63 and len(set(rows(page.text))) == 63
    assert "63 tỉnh, thành phố (trước 1/7/2025)" in page.text
    thai_nguyen = re.search(r'<tr id="p-19">(.*?)</tr>', page.text, re.S).group(1)
    assert '<td data-sort="8" class="rank">8</td>' in thai_nguyen  # the published rank, not "tính lại"
    assert "Thái Nguyên" in thai_nguyen
    bac_kan = re.search(r'<tr id="p-06">(.*?)</tr>', page.text, re.S).group(1)
    assert ">63</td>" in bac_kan or ">63 " in bac_kan  # published last
    assert page.text.count('class="badge recomputed"') == 63 - 3  # Thái Nguyên, Bình Dương, Bắc Kạn published

    latest = client.get("/national")  # the latest year, on the 34 provinces it was published for
    assert latest.status_code == 200
    assert len(rows(latest.text)) == 34 and "34 tỉnh, thành phố (từ 1/7/2025)" in latest.text
    assert latest.text.count('<use href="/map/2025/province/all.svg#u') == 34
    assert re.search(r'<tr id="p-19"><td data-sort="8" class="rank">8</td>', latest.text)
    shown = re.sub(r"<[^>]+>", " ", latest.text)  # what a reader sees: numbers in Vietnamese format
    assert re.search(r"\b0,\d{4}\b", shown) and not re.search(r"\b0\.\d{4}\b", shown)

    other = client.get("/national/2024?era=2024")  # the same year on the 63: nothing recorded for it here
    assert other.status_code == 404
    recomputed = client.get("/national/2023?era=2025")
    assert recomputed.status_code == 200 and len(rows(recomputed.text)) == 34
    assert client.get("/national/1999").status_code == 404
    assert client.get("/national/2024?era=2030").status_code == 404


def test_a_province_series(nationwide):
    client = nationwide.client()
    page = client.get("/national/provinces/19?era=2025")
    assert page.status_code == 200
    assert re.findall(r'<tr id="y-(\d{4})">', page.text) == ["2023", "2024"]
    assert ">8/34<" in page.text  # 2024: published 8th of 34
    assert "Bắc Kạn" in page.text  # its predecessors before 1/7/2025, linked
    assert "<svg" in page.text  # the trend against the national mean
    former = client.get("/national/provinces/19?era=2024")
    assert former.status_code == 200 and ">8/63<" in former.text
    assert client.get("/national/provinces/01840").status_code == 404  # a commune


def test_no_figures_yet(site):
    page = site.client().get("/national")
    assert page.status_code == 200 and "chiso national import" in page.text
