"""Sessions and logins (issue 11, item 8): logout ends the session on the server, the login limit is per
account and address, proxies are trusted only when named, common passwords are refused, HSTS over HTTPS."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI, CHEAP, PASSWORD, Site, csrf_of, login, post_form

from chiso.accounts import service as accounts
from chiso.errors import ChisoError
from chiso.settings import Settings
from chiso.web.app import create_app
from chiso.web.i18n import gettext
from chiso.web.security import COOKIE


def with_settings(site: Site, folder, **settings) -> Site:
    chosen = Settings(_env_file=None, data_dir=folder, secret_key="test-key", **settings)
    return Site(create_app(chosen, sessions=site.sessions, clock=TEST_CLOCK), site.sessions, site.people)


def attempt(client: httpx.Client, user: str, password: str, headers: dict | None = None) -> httpx.Response:
    data = {"user": user, "password": password, "csrf_token": csrf_of(client), "next": "/"}
    return client.post("/login", data=data, headers=headers or {})


def is_logged_in_as_admin(client: httpx.Client) -> bool:
    return client.get("/admin").status_code == 200  # the public is sent to the login page (303)


# --- logout ---------------------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(site):
    client = site.client("admin")
    copied = client.cookies[COOKIE]
    thief = site.client()
    thief.cookies.set(COOKIE, copied)
    assert is_logged_in_as_admin(thief)  # a copied cookie is the session, while it lasts
    assert post_form(client, "/logout", {}, "/admin").status_code == 303
    assert not is_logged_in_as_admin(client)
    again = site.client()
    again.cookies.set(COOKIE, copied)
    assert not is_logged_in_as_admin(again)  # the copy stopped working at the logout


def test_logout_ends_only_that_session(site):
    first, second = site.client("admin"), site.client("admin")
    post_form(first, "/logout", {}, "/admin")
    assert not is_logged_in_as_admin(first) and is_logged_in_as_admin(second)


def test_a_new_login_in_the_same_browser_ends_the_one_before(site):
    client = site.client("admin")
    copied = client.cookies[COOKIE]
    login(client, "admin")
    again = site.client()
    again.cookies.set(COOKIE, copied)
    assert not is_logged_in_as_admin(again) and is_logged_in_as_admin(client)


def test_a_password_change_still_ends_every_session(site):
    client = site.client("admin")
    with site.session() as s:
        accounts.set_password(session=s, user="admin", password="mot-mat-khau-khac", actor=site.people["admin"])
        s.commit()
    assert not is_logged_in_as_admin(client)


# --- the login limit --------------------------------------------------------------------------------------


def test_other_accounts_failures_do_not_lock_out_a_correct_password(site, monkeypatch):
    monkeypatch.setattr(accounts, "_DUMMY_HASH", CHEAP.hash("x"))
    """A provincial office behind one NAT: colleagues mistyping does not lock the others out."""
    client = site.client()
    for user in ("thamdinh", "lanhdao", "chuongtrinh", "canbo.ducxuan", "canbo.backan", "nobody"):
        for _ in range(5):
            assert attempt(client, user, "sai-mat-khau").status_code == 401
    assert attempt(client, "lanhdao", PASSWORD).status_code == 429  # over its own limit
    assert attempt(client, "admin", PASSWORD).status_code == 303  # not over its own: in


def test_the_address_ceiling_still_stops_a_spray(site, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "_DUMMY_HASH", CHEAP.hash("x"))  # unknown users, checked cheaply
    small = with_settings(site, tmp_path, login_max_failures=1)  # a ceiling of 20 per address
    client = small.client()
    refused = [attempt(client, f"user{n}", "123456789").status_code for n in range(21)]
    assert refused[0] == 401 and refused[-1] == 429


def test_a_browser_that_logged_in_before_passes_the_address_ceiling(site, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "_DUMMY_HASH", CHEAP.hash("x"))
    small = with_settings(site, tmp_path, login_max_failures=1)  # a ceiling of 20 per address
    regular = small.client()
    assert attempt(regular, "admin", PASSWORD).status_code == 303
    sprayer = small.client()
    assert [attempt(sprayer, f"user{n}", "123456789").status_code for n in range(21)][-1] == 429
    assert attempt(small.client(), "lanhdao", PASSWORD).status_code == 429  # a new browser waits
    assert attempt(regular, "admin", PASSWORD).status_code == 303  # the admin's own browser does not
    forged = small.client()
    forged.cookies.set("chiso_known", "admin", path="/login")
    assert attempt(forged, "admin", PASSWORD).status_code == 429


# --- trusted proxies --------------------------------------------------------------------------------------


def client_at(site: Site, address: str, base: str = "http://testserver") -> httpx.Client:
    transport = ASGI(site.app)
    transport.transport = httpx.ASGITransport(app=site.app, client=(address, 50000))
    return httpx.Client(transport=transport, base_url=base, follow_redirects=False)


def test_a_trusted_proxy_names_the_client(site):
    """Behind the proxy at 127.0.0.1 (the default), failures count against the address it names."""
    client = client_at(site, "127.0.0.1")
    for _ in range(5):
        assert attempt(client, "admin", "sai", {"x-forwarded-for": "198.51.100.7"}).status_code == 401
    assert attempt(client, "admin", PASSWORD, {"x-forwarded-for": "198.51.100.7"}).status_code == 429
    assert attempt(client, "admin", PASSWORD, {"x-forwarded-for": "198.51.100.8"}).status_code == 303


def test_forwarded_headers_from_anyone_else_are_ignored(site):
    client = client_at(site, "203.0.113.5")  # not a proxy of ours
    for n in range(5):
        assert attempt(client, "admin", "sai", {"x-forwarded-for": f"198.51.100.{n}"}).status_code == 401
    assert attempt(client, "admin", PASSWORD, {"x-forwarded-for": "198.51.100.99"}).status_code == 429
    page = client.get("/login", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in page.headers


def test_trusted_proxies_are_a_setting(site, tmp_path):
    nobody = with_settings(site, tmp_path, forwarded_allow_ips="")
    client = client_at(nobody, "127.0.0.1")
    for n in range(5):
        attempt(client, "admin", "sai", {"x-forwarded-for": f"198.51.100.{n}"})
    assert attempt(client, "admin", PASSWORD, {"x-forwarded-for": "198.51.100.99"}).status_code == 429
    network = with_settings(site, tmp_path, forwarded_allow_ips="10.1.0.0/16, 127.0.0.1")
    page = client_at(network, "10.1.2.3").get("/login", headers={"x-forwarded-proto": "https"})
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_serve_takes_the_trusted_proxies(cli, cli_env, monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "chiso.web.serve", lambda settings, host, port, workers: seen.update(trusted=settings.forwarded_allow_ips)
    )
    assert cli("serve", "--forwarded-allow-ips", "10.0.0.5,127.0.0.1").exit_code == 0
    assert seen == {"trusted": "10.0.0.5,127.0.0.1"}


# --- HSTS -------------------------------------------------------------------------------------------------


def test_hsts_over_https_only(site):
    assert "strict-transport-security" not in site.client().get("/login").headers
    secure = client_at(site, "127.0.0.1", "https://testserver")
    assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=")
    proxied = client_at(site, "127.0.0.1").get("/login", headers={"x-forwarded-proto": "https"})
    assert proxied.headers["strict-transport-security"].startswith("max-age=")
    response = login(client_at(site, "127.0.0.1"), "thamdinh")
    assert "secure" not in response.headers["set-cookie"].lower()


# --- passwords --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "phổ biến"),
        ("password123", "phổ biến"),
        ("Iloveyou1", "phổ biến"),
        ("lanhdao2025!", "tên đăng nhập"),
        ("ngan", "ít nhất"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(site, password, why):
    with site.session() as s, pytest.raises(ChisoError, match=why) as caught:
        accounts.set_password(session=s, user="lanhdao", password=password, actor=site.people["admin"])
    english = caught.value.message(gettext("en"), "en")  # Vietnamese, and English from the catalogue
    assert english != str(caught.value) and english.startswith(("This password", "A password"))


def test_the_admin_page_refuses_a_common_password(site):
    client = site.client("admin")
    data = {"user": "moi.nguoi", "roles": "viewer", "password": "qwertyuiop"}
    response = post_form(client, "/admin/users", data, "/admin")
    assert response.status_code in (400, 422) and "phổ biến" in response.text
    good = post_form(client, "/admin/users", {**data, "password": "mot-mat-khau-dai"}, "/admin")
    assert good.status_code == 303
