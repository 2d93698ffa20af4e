"""Dev accounts with labels; an encrypted keystore whose keys never appear in clear."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from pathlib import Path

import pytest
from eth_account import Account

from chain import connect
from chain.accounts import Keystore, LocalSigner, NodeAccount, dev_accounts, dev_funders, fund_from_dev
from chain.anvil import anvil_binary, free_port
from chain.client import BountyBoardClient
from chain.errors import AccountError, ChainError, NonceClash
from chain.providers import RpcConnection
from settings import Settings
from tests.tooling import require

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = Account.from_key(KEY).address
PASSWORD = "a long enough password"


def _keystore(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keystore", kdf_iterations=2**4)  # fast scrypt for tests


def test_dev_accounts_are_labelled_owner_and_participants(isolated_data_dir: Path) -> None:
    with connect() as conn:
        accounts = dev_accounts(conn, 3)
        assert [a.label for a in accounts] == ["Owner", "Participant 1", "Participant 2", "Participant 3"]
        assert [a.address for a in accounts] == conn.accounts()[:4]
        # the same well-known dev accounts as anvil's, so both local chains look alike
        assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        assert len(dev_accounts(conn)) == 1 + 5  # settings.participants by default


def test_keystore_roundtrip_and_key_never_in_clear(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keystore = _keystore(tmp_path)
    assert keystore.import_key(KEY, PASSWORD, label="Alice") == ADDRESS
    assert keystore.addresses() == [ADDRESS] and keystore.label(ADDRESS) == "Alice"
    signer = keystore.unlock(ADDRESS, PASSWORD)
    assert isinstance(signer, LocalSigner) and signer.address == ADDRESS and signer.label == "Alice"
    bare = KEY[2:]
    for path in (tmp_path / "keystore").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert bare not in text.lower()
            assert "crypto" in json.loads(text)
            assert path.stat().st_mode & 0o077 == 0  # only the owner may read it
    assert bare not in repr(signer) and bare not in str(signer)
    assert bare not in caplog.text


def test_wrong_password_and_bad_input_are_explained(tmp_path: Path) -> None:
    keystore = _keystore(tmp_path)
    address = keystore.create(PASSWORD)
    with pytest.raises(AccountError, match=f"^Wrong password for {address}; the keystore stays locked"):
        keystore.unlock(address, "not the password")
    with pytest.raises(AccountError, match="at least 8 characters"):
        keystore.create("short")
    with pytest.raises(AccountError, match="not a valid private key") as info:
        keystore.import_key("0x1234", PASSWORD)
    assert "1234" not in str(info.value)
    keystore.import_key(KEY, PASSWORD)
    with pytest.raises(AccountError, match="already in the keystore"):
        keystore.import_key(KEY, PASSWORD)
    with pytest.raises(AccountError, match="is not in this keystore"):
        keystore.unlock("0x" + "11" * 20, PASSWORD)
    with pytest.raises(AccountError, match="not an Ethereum v3 keystore"):
        keystore.import_keyfile("{}")


def test_imported_v3_keyfile_unlocks(tmp_path: Path) -> None:
    exported = json.dumps(Account.encrypt(KEY, PASSWORD, kdf="pbkdf2", iterations=16))
    keystore = _keystore(tmp_path)
    assert keystore.import_keyfile(exported, label="From MetaMask") == ADDRESS
    assert keystore.unlock(ADDRESS, PASSWORD).address == ADDRESS


def test_a_damaged_keystore_file_is_named_in_a_sentence_and_the_others_still_work(tmp_path: Path) -> None:
    keystore = _keystore(tmp_path)
    good = keystore.import_key(KEY, PASSWORD, label="Alice")
    other = keystore.create(PASSWORD, label="Bob")
    path = tmp_path / "keystore" / f"{other}.json"
    damaged = json.loads(path.read_text())
    del damaged["version"]  # what made Account.decrypt raise KeyError 'version'
    path.write_text(json.dumps(damaged))
    with pytest.raises(AccountError, match="not a keystore file this wallet can read") as info:
        keystore.unlock(other, PASSWORD)
    assert str(path) in str(info.value) and "it has no version" in str(info.value)
    assert "KeyError" not in str(info.value)
    assert sorted(keystore.addresses()) == sorted([good, other])  # every account still lists
    assert list(keystore.damaged()) == [other]
    assert keystore.unlock(good, PASSWORD).label == "Alice" and keystore.label(good) == "Alice"
    path.write_text('{"address": "' + other[2:].lower() + '", "crypto": {"cipher": ')  # truncated
    with pytest.raises(AccountError, match="not a keystore file this wallet can read"):
        keystore.label(other)
    damaged["version"] = 3
    damaged["crypto"]["cipherparams"] = {}  # the right shape, but no iv
    path.write_text(json.dumps(damaged))
    with pytest.raises(AccountError, match=r"not a keystore file this wallet can read \(it does not decrypt"):
        keystore.unlock(other, PASSWORD)
    with pytest.raises(AccountError, match=r"^backup\.json is not an Ethereum v3 keystore file this wallet"):
        keystore.import_keyfile(json.dumps({**damaged, "version": 1}), name="backup.json")
    exported = json.dumps(Account.encrypt(KEY, PASSWORD, kdf="pbkdf2", iterations=16))
    path.write_text("not json")
    good_path = tmp_path / "keystore" / f"{good}.json"
    good_path.write_text("not json")
    assert keystore.import_keyfile(exported) == good, "importing again replaces a damaged file"
    assert keystore.unlock(good, PASSWORD).address == good


def test_local_signer_sends_and_a_reused_nonce_is_a_clear_clash(
    isolated_data_dir: Path, tmp_path: Path
) -> None:
    with connect() as conn:
        keystore = _keystore(tmp_path)
        address = keystore.import_key(KEY, PASSWORD)
        signer = keystore.unlock(address, PASSWORD)
        owner = dev_accounts(conn, 1)[0]
        owner.send(conn, {"to": address, "value": 10**18})
        target = conn.accounts()[5]
        before = conn.w3.eth.get_balance(target)
        signer.send(conn, {"to": target, "value": 1000})
        assert conn.w3.eth.get_balance(target) == before + 1000
        assert conn.w3.eth.get_transaction_count(address) == 1
        with pytest.raises(Exception) as info:
            signer.send(conn, {"to": target, "value": 1, "nonce": 0})
        client = BountyBoardClient(conn, "0x" + "22" * 20, abi=[])
        error = client._translate(info.value, "withdraw", (), address, 0)
        assert isinstance(error, NonceClash)
        assert str(error).startswith(f"Withdrawing clashed with another transaction from {address}")


def test_a_dev_chain_funds_a_new_keystore_account(isolated_data_dir: Path, tmp_path: Path) -> None:
    with connect() as conn:
        assert conn.funds_new_accounts
        funders = dev_funders(conn)
        assert [f.label for f in funders[:2]] == ["Owner", "Participant 1"]
        address = _keystore(tmp_path).create(PASSWORD, label="Mine")
        receipt = fund_from_dev(conn, funders[0], address, 10**17)
        assert receipt.status == 1 and receipt.block == conn.latest_block()
        assert conn.w3.eth.get_balance(address) == 10**17
        with pytest.raises(ChainError, match="more than 0 wei"):
            fund_from_dev(conn, funders[0], address, 0)


@pytest.mark.anvil
def test_an_anvil_reached_by_url_funds_new_accounts_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "node", chain="anvil", anvil_port=free_port())
    require(anvil_binary(settings) is not None, "anvil (npm @foundry-rs/anvil-linux-amd64)")
    with connect(settings) as node, RpcConnection(node.endpoint) as rpc:
        assert not rpc.is_dev and rpc.accounts() == [] and rpc.funds_new_accounts
        funders = dev_funders(rpc)  # anvil's numbering: the node's unlocked accounts
        assert funders[0] == NodeAccount(node.accounts()[0], "Dev account 0")
        address = _keystore(tmp_path).create(PASSWORD)
        fund_from_dev(rpc, funders[3], address, 5 * 10**17)
        assert rpc.w3.eth.get_balance(address) == 5 * 10**17


def test_a_node_that_is_no_dev_node_funds_nothing(tmp_path: Path) -> None:
    """A real network's node (here a stand-in answering as geth for chain 1) never pays a new account."""
    answers = {"eth_chainId": "0x1", "web3_clientVersion": "Geth/v1.14.0-stable", "eth_accounts": []}

    class Geth(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply = {"jsonrpc": "2.0", "id": request["id"]}
            if request["method"] in answers:
                reply["result"] = answers[request["method"]]
            else:
                reply["error"] = {"code": -32601, "message": "not here"}
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Geth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        conn = RpcConnection(f"http://127.0.0.1:{server.server_address[1]}")
        assert conn.chain_id == 1 and not conn.funds_new_accounts and dev_funders(conn) == []
        someone = NodeAccount("0x" + "11" * 20, "Someone")
        refusal = r"^Chain 1 at http://127\.0\.0\.1:\d+ is not a dev chain, so no dev account pays"
        with pytest.raises(ChainError, match=refusal):
            fund_from_dev(conn, someone, ADDRESS, 10**17)
    finally:
        server.shutdown()
