"""The owner's data step: load candles, build the split files and manifest, keep them, publish them.

Why drafts on disk: the test split must stay with the owner (only its digest
goes on chain) until the reveal window, possibly days later and after a
restart, so every built dataset is written under
``<data>/owner/datasets/<dataset id>/`` (manifest, the split files, the
parameters) before anything is published. The dataset id joins the start of the
train file's CID and of the test file's (the manifest's for a live forward
test, which has no test file yet), all content hashes, so building the same
data twice lands in the same folder.

Publishing reports, per file, whether the store holds and pins it and a gateway
link, so the owner sees that participants elsewhere can fetch it (they read
through ``storage.open_reader``, see ``actions.tasks``).

Every function that reads or writes that folder (or the coinpaprika cache) takes the
``Settings`` whose data dir it is (``backend.settings``), never the process-wide ones, so two
backends on two data dirs keep their datasets apart.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import durable
import storage
from actions.errors import ActionError
from ml import data as ml_data
from ml import preprocess
from ml.manifest import EvaluationSpec, TaskManifest
from ml.preprocess import DatasetParameters
from settings import Settings

if TYPE_CHECKING:
    from actions.session import Backend

SOURCES = {"bundled": "Bundled 2018 candles", "coinpaprika": "coinpaprika API", "upload": "Upload a CSV"}
# What the Preprocess page offers: the ml layer's lists, named here so that pages need not import ml.
BUNDLED_COINS: tuple[str, ...] = ml_data.BUNDLED_COINS
INTERVALS: tuple[str, ...] = tuple(ml_data.INTERVALS)
# The largest price CSV accepted, in MB (MiB, as Streamlit counts): the page states it.
MAX_UPLOAD_MB: int = ml_data.MAX_UPLOAD_MB


def load_candles(
    settings: Settings,
    source: str,
    coins: list[str] | None = None,
    *,
    upload: bytes | None = None,
    upload_name: str = "",
    api_key: str = "",
    start: int = 0,
    end: int = 0,
    interval: str = "5m",
) -> dict[str, pd.DataFrame]:
    """Candles per coin from one source; every failure is a sentence saying what to do.

    coinpaprika answers are cached under ``settings``' data dir; without ``api_key`` the key of
    ``settings`` (``COINPAPRIKA_API_KEY``) is used. An upload over ``MAX_UPLOAD_MB`` is refused.
    """
    if source == "bundled":
        return ml_data.load_bundled(coins or None)
    if source == "upload":
        if not upload:
            raise ActionError("Choose a CSV file to upload first.")
        coin = Path(upload_name).stem.split("-")[0].upper() if upload_name else None
        return ml_data.parse_upload(upload, coin=coin)
    if source == "coinpaprika":
        if not coins:
            raise ActionError("Pick at least one coin symbol to fetch from coinpaprika.")
        if end <= start:
            raise ActionError("Choose a date range whose end is after its start.")
        client = ml_data.CoinpaprikaClient.for_settings(settings, api_key=api_key or None)
        return client.load(coins, start, end, interval)
    raise ActionError(f"Unknown data source {source!r}: choose one of {', '.join(SOURCES)}.")


@dataclass
class BuiltDataset:
    """A built (not yet published) dataset: the manifest, the split files and where they are kept.

    A live forward test (coinpaprika, ``manifest.test.kind == "forward"`` and not a rehearsal) has
    no test file here: ``files`` holds train and validation only and ``test_cid`` is None; its
    test file is built by the manifest's rule after the window (``ml.forward``).
    """

    manifest: TaskManifest
    files: dict[str, bytes]
    folder: Path
    params: dict[str, Any] = field(default_factory=dict)  # the DatasetParameters, as read from JSON

    @property
    def dataset_id(self) -> str:
        return self.folder.name

    @property
    def test_cid(self) -> str | None:
        """The kept test file's CID; None for a live forward test (built after its window)."""
        test = self.files.get("test")
        return storage.ipfs_cid(test) if test is not None else None

    @property
    def cids(self) -> dict[str, str]:
        cids = {
            "manifest": self.manifest.cid(),
            "train": self.manifest.data.train_cid,
            "validation": self.manifest.data.validation_cid,
        }
        if self.test_cid is not None:
            cids["test (kept private)"] = self.test_cid
        else:
            cids["test (forward test)"] = "built after the window by the manifest's rule"
        return cids


def default_parameters(protocol: str = "demo") -> DatasetParameters:
    """The ml layer's ``DatasetParameters`` for the "demo" or "tiny" protocol."""
    return preprocess.tiny_parameters() if protocol == "tiny" else preprocess.demo_parameters()


def build(settings: Settings, frames: dict[str, pd.DataFrame], params: DatasetParameters) -> BuiltDataset:
    """Build manifest + split files and keep them under ``settings``' data dir before anything is
    published."""
    manifest, files = preprocess.build_dataset(frames, params, preprocess.cache_dir_for(settings))
    built = BuiltDataset(manifest=manifest, files=files, folder=Path(), params=asdict(params))
    # a live forward test has no test file: its manifest (with the window rule) names the folder
    built.folder = _folder_for(settings, manifest.data.train_cid, built.test_cid or manifest.cid())
    save(built)
    return built


def _datasets_root(settings: Settings) -> Path:
    return settings.path("owner", "datasets", "x").parent


def _folder_for(settings: Settings, train_cid: str, test_cid: str) -> Path:
    return _datasets_root(settings) / f"{train_cid[:16]}-{test_cid[:16]}"


def save(built: BuiltDataset) -> None:
    """Write every file through a temp name + rename so a crash never leaves half a dataset."""
    built.folder.mkdir(parents=True, exist_ok=True)
    payloads = {f"{name}.csv": data for name, data in built.files.items()}
    payloads["manifest.json"] = built.manifest.to_bytes()
    payloads["params.json"] = json.dumps(built.params, indent=2, default=list).encode()
    for name, data in payloads.items():
        durable.atomic_write(built.folder / name, data)


def load(folder: Path) -> BuiltDataset:
    manifest = TaskManifest.from_bytes((folder / "manifest.json").read_bytes())
    names = ("train", "validation") if is_live_forward(manifest) else ("train", "validation", "test")
    files = {name: (folder / f"{name}.csv").read_bytes() for name in names}
    params_path = folder / "params.json"
    params = json.loads(params_path.read_text()) if params_path.exists() else {}
    return BuiltDataset(manifest=manifest, files=files, folder=folder, params=params)


def is_live_forward(manifest: TaskManifest) -> bool:
    """A forward test on data that does not exist yet (not a rehearsal): no test file is kept."""
    return manifest.test.kind == "forward" and not manifest.test.rehearsal


def saved(settings: Settings) -> list[BuiltDataset]:
    """Every dataset this owner built under ``settings``' data dir, newest first."""
    found = []
    for folder in sorted(_datasets_root(settings).iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        if (folder / "manifest.json").exists():
            try:
                found.append(load(folder))
            except (OSError, ValueError):
                continue  # a damaged draft is skipped, not fatal for the others
    return found


def find_by_test_cid(settings: Settings, test_cid: str) -> BuiltDataset | None:
    """The kept dataset whose hidden test file has ``test_cid`` (the Evaluate page needs its bytes)."""
    for built in saved(settings):
        if built.test_cid is not None and built.test_cid == test_cid:
            return built
    return None


def with_protocol(
    built: BuiltDataset, epochs: int, batch_size: int, seed: int, max_train_sequences: int | None
) -> TaskManifest:
    """The manifest with another evaluation protocol (the split files, and their CIDs, stay the same)."""
    evaluation = EvaluationSpec.model_validate(
        {
            **built.manifest.evaluation.model_dump(),
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": seed,
            "max_train_sequences": max_train_sequences,
        }
    )
    return TaskManifest.model_validate({**built.manifest.model_dump(), "evaluation": evaluation.model_dump()})


@dataclass(frozen=True)
class PublishedFile:
    """One published file as the store reports it right after the add: what the Preprocess page and
    ``cli dataset publish`` show. ``gateway_url`` is None where no gateway can serve it (the embedded
    store is on this machine only)."""

    name: str
    cid: str
    held: bool
    pinned: bool
    gateway_url: str | None


def publish(
    backend: Backend, built: BuiltDataset, manifest: TaskManifest | None = None
) -> dict[str, PublishedFile]:
    """Add the manifest and the train and validation files to the store; the test file stays local.

    Returns each file (by name: "manifest", "train", "validation") with the CID the store reported,
    after checking it against the CID computed locally (so what the chain will commit to is what the
    store serves), and whether the store now holds and pins it.
    """
    manifest = manifest or built.manifest
    store = backend.store
    expected = {  # the manifest last: it is never in the store without the files it names
        "train": (built.files["train"], manifest.data.train_cid),
        "validation": (built.files["validation"], manifest.data.validation_cid),
        "manifest": (manifest.to_bytes(), manifest.cid()),
    }
    published = {}
    for name, (data, cid) in expected.items():
        got = store.add(data)
        if got != cid:
            raise ActionError(f"The store returned CID {got} for the {name} file, but it should be {cid}.")
        status = store.pin_status(got)
        published[name] = PublishedFile(name, got, status.held, status.pinned, store.gateway_url(got))
    if manifest is not built.manifest:
        durable.atomic_write(built.folder / f"manifest-{manifest.cid()}.json", manifest.to_bytes())
    return published


def preview_frame(
    frames: dict[str, pd.DataFrame], interval: str, last_rows: int | None, coins: list[str]
) -> pd.DataFrame:
    """The merged close prices the dataset will be cut from (for the Preprocess charts)."""
    merged = ml_data.merge_coins({c: ml_data.resample(frames[c], interval) for c in coins})
    if last_rows:
        merged = merged.iloc[-last_rows:]
    return merged


def split_spans(merged: pd.DataFrame, permille: tuple[int, int, int]) -> list[tuple[str, int, int]]:
    """(split name, first time, last time) of the chronological train / validation / test split
    (the very rows ``ml.preprocess.build_dataset`` cuts)."""
    times = merged.index
    spans = []
    bounds = preprocess.split_bounds(len(merged), permille)
    for name, (lo, hi) in zip(preprocess.SPLITS, bounds, strict=True):
        if hi > lo:
            spans.append((name, int(times[lo]), int(times[hi - 1])))
    return spans


def class_balance(built: BuiltDataset) -> pd.DataFrame:
    """Rows per split labelled "up" and "down" (before the training split is balanced)."""
    rows = []
    for name in preprocess.SPLITS:
        if name not in built.files:
            continue  # a live forward test's test file does not exist yet
        frame = preprocess.parse_split(built.files[name], built.manifest, name)
        _, target, _ = preprocess.split_features(frame, built.manifest)
        rows.append({"split": name, "down": int((target == 0).sum()), "up": int((target == 1).sum())})
    return pd.DataFrame(rows)
