"""`ketenpoort audit verify` and `ketenpoort keys rotate --reencrypt` against a real store on each backend."""
from __future__ import annotations

import asyncio

import pytest

from gateway.cli import main
from queues.audit import KEY_REENCRYPT, LOGIN, AuditEvent
from queues.encryption import EncryptingCodec, KeyRing, parse_header
from store_helpers import entry, tamper


def cli_url(database) -> str:
    """The database's URL as a user would give it (PostgreSQL: the test's schema through search_path)."""
    if database.kind == "sqlite":
        return database.url
    return f"{database.url}?search_path={database.options['schema']}"


async def ketenpoort(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def logins(store, count: int = 4) -> None:
    for number in range(count):
        await store.audit(AuditEvent(actor=f"user{number}", role="operator", action=LOGIN))


async def test_verify_an_intact_trail(database, store, capsys):
    await logins(store)
    assert await ketenpoort("audit", "verify", "--store", cli_url(database)) == 0
    assert "intact: 4 records, head seq=4" in capsys.readouterr().out


@pytest.mark.parametrize("statement, named", [
    ("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2", "record 2 was edited"),
    ("DELETE FROM audit_log WHERE seq = 3", "record 3 removed"),
])
async def test_verify_names_the_broken_record(database, store, capsys, statement, named):
    await logins(store)
    await tamper(database, statement)
    assert await ketenpoort("audit", "verify", "--store", cli_url(database)) == 1
    assert named in capsys.readouterr().err


async def test_verify_reads_the_store_from_the_config(database, store, tmp_path, capsys):
    if database.kind != "sqlite":
        pytest.skip("the config's [storage] url has no place for the test's PostgreSQL schema")
    await logins(store, 1)
    config = tmp_path / "ketenpoort.toml"
    config.write_text(f'[storage]\nurl = "{database.url}"\n')
    assert await ketenpoort("audit", "verify", "--config", str(config)) == 0
    assert "intact: 1 records" in capsys.readouterr().out


async def test_verify_of_an_unusable_store_is_exit_2(tmp_path, capsys):
    assert await ketenpoort("audit", "verify", "--store", f"sqlite:///{tmp_path}/absent/store.db") == 2
    assert "does not exist" in capsys.readouterr().err
    assert await ketenpoort("audit", "verify", "--config", str(tmp_path / "absent.toml")) == 2
    assert "absent.toml" in capsys.readouterr().err


async def test_rotate_and_reencrypt(database, clock, tmp_path, capsys):
    key_file = tmp_path / "keys.json"
    KeyRing.generate().save(key_file, create=True)
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(KeyRing.from_file(key_file)))
    ids = [(await store.append(entry(payload=f"<Bericht>{n}</Bericht>".encode()))).id for n in range(3)]

    assert await ketenpoort("keys", "rotate", "--file", str(key_file), "--reencrypt", "--store", cli_url(database),
                            "--batch-size", "2") == 0
    assert "re-encrypted 3 payload(s)" in capsys.readouterr().out
    rotated = KeyRing.from_file(key_file)
    stored = await database.rows("SELECT payload FROM messages")
    assert {parse_header(bytes(payload))[0] for (payload,) in stored} == {rotated.primary}
    reader = await database.open(clock=clock, payload_codec=EncryptingCodec(rotated))
    assert [(await reader.get(i)).payload for i in ids] == [f"<Bericht>{n}</Bericht>".encode() for n in range(3)]
    [record] = await reader.audit_records()
    assert (record.action, record.object_id, record.detail) == (KEY_REENCRYPT, f"key:{rotated.primary}",
                                                                 {"rewritten": 3})


async def test_reencrypt_with_a_key_file_that_lacks_the_old_key_names_it(database, clock, tmp_path, capsys):
    old = KeyRing.generate()
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(old))
    await store.append(entry())
    key_file = tmp_path / "other.json"
    KeyRing.generate().save(key_file, create=True)
    assert await ketenpoort("keys", "reencrypt", "--file", str(key_file), "--store", cli_url(database)) == 1
    assert old.primary in capsys.readouterr().err


async def test_reencrypt_needs_a_store(tmp_path, capsys):
    key_file = tmp_path / "keys.json"
    KeyRing.generate().save(key_file, create=True)
    assert await ketenpoort("keys", "rotate", "--file", str(key_file), "--reencrypt") == 2
    assert "needs --config FILE or --store URL" in capsys.readouterr().err
    assert len(KeyRing.from_file(key_file).keys) == 1
