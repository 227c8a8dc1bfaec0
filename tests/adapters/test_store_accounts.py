"""The SQL of members, mailed tokens, API tokens and rate-limit counters, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from paperboard.adapters.store import ratelimits
from paperboard.adapters.store import users as store
from paperboard.adapters.store.schema import rate_limit_hits

NOW = datetime(2026, 4, 14, 12, 0)


def _add(connection, email="ada@example.org", username="ada"):
    return store.create_user(connection, email=email, username=username, password_hash="h", now=NOW)


def test_email_and_username_are_each_unique(database):
    with database.write() as connection:
        first = _add(connection)
        assert first is not None
        assert _add(connection, username="other") is None
        assert _add(connection, email="other@example.org") is None
        assert store.taken(connection, email="ada@example.org", username="nobody") == (True, False)
        assert store.taken(connection, email="x@example.org", username="ada") == (False, True)
        assert store.find_for_login(connection, " ADA@example.org ").id == first
        assert store.find_for_login(connection, "Ada").id == first
        assert [u.id for u in store.list_users(connection)] == [first]


def test_a_new_password_ends_every_session(database):
    with database.write() as connection:
        user_id = _add(connection)
        store.set_password(connection, user_id, "h2")
        store.bump_session_version(connection, user_id)
        user = store.get_user(connection, user_id)
    assert user.password_hash == "h2" and user.session_version == 2


def test_mail_tokens_work_once(database):
    with database.write() as connection:
        user_id = _add(connection)
        store.add_mail_token(connection, user_id=user_id, purpose="reset", token_hash="a" * 64, now=NOW, expires_at=NOW + timedelta(hours=1))
        assert store.find_mail_token(connection, "verify", "a" * 64) is None  # another purpose
        token = store.find_mail_token(connection, "reset", "a" * 64)
        assert token.user_id == user_id and token.used_at is None
        assert store.use_mail_token(connection, token.id, NOW) is True
        assert store.use_mail_token(connection, token.id, NOW) is False
        store.add_mail_token(connection, user_id=user_id, purpose="reset", token_hash="b" * 64, now=NOW, expires_at=NOW + timedelta(hours=1))
        store.retire_mail_tokens(connection, user_id, "reset", NOW)
        assert store.find_mail_token(connection, "reset", "b" * 64).used_at == NOW


def test_api_tokens_belong_to_their_owner(database):
    with database.write() as connection:
        ada, bob = _add(connection), _add(connection, "bob@example.org", "bob")
        token_id = store.add_api_token(connection, user_id=ada, name="script", token_hash="c" * 64, token_prefix="pb_abcdefg", now=NOW)
        token_id2, used, owner = store.user_for_api_token(connection, "c" * 64)
        assert (token_id2, used, owner.username) == (token_id, None, "ada")
        assert store.revoke_api_token(connection, bob, token_id) is False  # not bob's
        assert [t.name for t in store.list_api_tokens(connection, ada)] == ["script"]
        assert store.revoke_api_token(connection, ada, token_id) is True
        assert store.user_for_api_token(connection, "c" * 64) is None
        assert store.revoke_api_token(connection, ada, token_id) is False


def test_rate_limit_counters_are_atomic_across_threads(database):
    window = datetime(2026, 4, 14, 12, 0)
    seen: list[int] = []
    lock = threading.Lock()

    def hammer():
        for _ in range(10):
            with database.write() as connection:
                count = ratelimits.hit(connection, "vote", "7", window)
            with lock:
                seen.append(count)

    threads = [threading.Thread(target=hammer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 51))  # every hit counted once, no two saw the same total
    with database.write() as connection:
        assert ratelimits.hit(connection, "vote", "8", window) == 1  # another key
        assert ratelimits.hit(connection, "vote", "7", window + timedelta(hours=1)) == 1  # next window
        assert ratelimits.prune(connection, window + timedelta(minutes=1)) == 2
        left = connection.execute(select(rate_limit_hits.c.window_start)).scalars().all()
    assert left == [window + timedelta(hours=1)]
