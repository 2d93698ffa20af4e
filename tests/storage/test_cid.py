"""CIDv0 exactly as kubo prints it, and the digest the contract stores."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import InvalidCid, cid_to_digest, digest_to_cid, ipfs_cid, normalize_cid

EMPTY = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
HELLO = "QmSoASxb8aNVGk3pNWpZvXEZTQKxjGeu9bvpYHuo5bP1VJ"


def test_kubo_reference_values():
    assert ipfs_cid(b"") == EMPTY
    assert ipfs_cid(b"hello ipfs\n") == HELLO


def test_every_input_kind_gives_the_same_cid(tmp_path):
    data = bytes(range(256)) * 3000  # 768,000 bytes: three chunks
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    expected = ipfs_cid(data)
    assert ipfs_cid(bytearray(data)) == expected
    assert ipfs_cid(memoryview(data)) == expected
    assert ipfs_cid(str(path)) == expected
    assert ipfs_cid(path) == expected
    assert ipfs_cid(io.BytesIO(data)) == expected
    assert expected != ipfs_cid(data[:-1])


def test_short_reads_do_not_change_chunking():
    class Trickle(io.RawIOBase):
        """A stream that returns at most 1000 bytes per read, like a pipe or socket."""

        def __init__(self, data: bytes) -> None:
            self._src = io.BytesIO(data)

        def readinto(self, buffer) -> int:
            chunk = self._src.read(min(1000, len(buffer)))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = bytes(range(256)) * 2100
    assert ipfs_cid(Trickle(data)) == ipfs_cid(data)


def test_digest_round_trip():
    digest = cid_to_digest(HELLO)
    assert len(digest) == 32
    assert digest.hex() == "4239797c46ec1db3d88012438e7b5121ecfa35c25df8397a434629738b6bb3f9"
    assert digest_to_cid(digest) == HELLO


def test_cidv1_dag_pb_is_accepted_and_normalised():
    v1 = "bafybeicchf4xyrxmdwz5raasiohhwujb5t5dlqs57a4xuq2gffzyw25t7e"
    assert normalize_cid(v1) == HELLO


@pytest.mark.parametrize(
    "bad",
    ["", "hello", HELLO[:-1], HELLO + "x", HELLO.replace("S", "0"), "Qm" + "1" * 44, "bafyxyz", 42],
)
def test_malformed_cid_is_refused_in_plain_words(bad):
    with pytest.raises(InvalidCid, match=r"not a valid IPFS CID|A CID is text"):
        cid_to_digest(bad)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_digest_must_be_32_bytes(bad):
    with pytest.raises(InvalidCid, match="32 bytes"):
        digest_to_cid(bad)


def test_missing_file_and_folder_say_what_to_do(tmp_path):
    from storage import StorageError

    with pytest.raises(StorageError, match="no file at"):
        ipfs_cid(str(tmp_path / "nope.csv"))
    with pytest.raises(StorageError, match="is a folder"):
        ipfs_cid(tmp_path)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 3 * 262144 + 10), read_sizes=st.lists(st.integers(1, 300_000), min_size=1))
def test_any_read_pattern_gives_the_cid_of_the_bytes(size, read_sizes):
    data = bytes(i * 7 % 256 for i in range(size % 1000)) * (size // 1000 + 1)
    data = data[:size]

    class Ragged(io.RawIOBase):
        """Returns reads of arbitrary sizes, as sockets and pipes do."""

        def __init__(self) -> None:
            self.pos = 0
            self.turn = 0

        def readinto(self, buffer) -> int:
            want = min(len(buffer), read_sizes[self.turn % len(read_sizes)])
            self.turn += 1
            piece = data[self.pos : self.pos + want]
            buffer[: len(piece)] = piece
            self.pos += len(piece)
            return len(piece)

    assert ipfs_cid(Ragged()) == ipfs_cid(data)


def test_text_mode_stream_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("hello ipfs\n")
    with open(path) as text, pytest.raises(TypeError, match="binary mode"):
        ipfs_cid(text)
    with open(path, "rb") as binary:
        assert ipfs_cid(binary) == HELLO
