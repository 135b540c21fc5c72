"""The data version on an app that owns its database: on PostgreSQL read on connections of its own
(autocommit, one round trip), and still a version that follows every committed change, also after the
server dropped those connections."""

from __future__ import annotations

import httpx
from sqlalchemy import create_engine, text
from tests import factories as f
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI, PASSWORD

from chiso import migrations
from chiso.accounts import service as accounts
from chiso.accounts.schemas import UserCreate
from chiso.collection import service as collection
from chiso.db import make_engine, transaction
from chiso.settings import Settings
from chiso.web.api.cache import APPLICATION_NAME, VersionReader
from chiso.web.app import create_app


def test_answers_follow_commits_made_elsewhere(database_url, tmp_path):
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    with transaction(engine, TEST_CLOCK) as s:
        people = f.people(s)
        admin = people["admin"]
        accounts.create_user(
            session=s, user_in=UserCreate(user=admin.user, roles=admin.roles, password=PASSWORD), actor=None
        )
        token = accounts.create_token(session=s, user="admin", scope="read", days=1, actor=people["admin"]).secret
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", database_url=database_url)
    served = make_engine(database_url)  # the app's own engine, as `chiso serve` makes it
    app = create_app(settings, engine=served, clock=TEST_CLOCK)
    reader = getattr(app.state, "data_version", None)
    assert (reader is None) == database_url.startswith("sqlite")  # SQLite reads it in the request's session
    api = httpx.Client(transport=ASGI(app), base_url="http://testserver")
    auth = {"Authorization": f"Bearer {token}"}
    first = api.get("/api/v1/periods", headers=auth)
    assert first.status_code == 200 and first.json() == []
    assert api.get("/api/v1/periods", headers={**auth, "If-None-Match": first.headers["etag"]}).status_code == 304

    with transaction(engine, TEST_CLOCK) as s:  # another process opens a period
        f.open_period(s, people["admin"])
    after = api.get("/api/v1/periods", headers={**auth, "If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and [p["code"] for p in after.json()] == [f.PERIOD]

    if isinstance(reader, VersionReader):  # the server drops the reader's connections: the next read reconnects
        server = create_engine(database_url)
        with server.connect() as c:
            dropped = c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APPLICATION_NAME},
            ).all()
        server.dispose()
        assert dropped
        assert api.get("/api/v1/periods", headers={**auth, "If-None-Match": after.headers["etag"]}).status_code == 304
        with transaction(engine, TEST_CLOCK) as s:
            collection.close_period(session=s, code=f.PERIOD, actor=people["admin"])
        closed = api.get("/api/v1/periods", headers={**auth, "If-None-Match": after.headers["etag"]})
        assert closed.status_code == 200 and closed.json()[0]["state"] == "closed"
    if reader is not None:
        reader.dispose()
    served.dispose()
    engine.dispose()
