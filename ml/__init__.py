"""Datasets, preprocessing, model building, deterministic training and evaluation.

Nothing here knows Streamlit or web3. Importing ``ml`` is cheap: Keras/jax load only when a
model is built or trained. Public API (what the dashboard's actions layer imports):

Data (``ml.data``); every problem is a ``DataError`` whose message says what to do:
    load_bundled(coins=None) -> dict[str, DataFrame]        the shipped 2018 candles, sorted
    parse_upload(data, coin=None, min_rows=100) -> dict[str, DataFrame]   a user's CSV
    CoinpaprikaClient(api_key=None, base_url=None, cache_dir=None, retries=3, ...)
        .coins() / .coin_id("BTC") / .historical(coin_id, start, end, "5m")
        .load(["BTC", "ETH"], start, end, "5m") -> dict[str, DataFrame]   cached on disk
    CoinpaprikaClient.for_settings(settings)   caching under that data dir, with its API key
    resample(frame, "5m"), merge_coins(frames), INTERVALS, BUNDLED_COINS

Owner: build a task (``ml.preprocess``):
    DatasetParameters(...), demo_parameters(), tiny_parameters()
    build_dataset(frames, params, cache_dir=None)
        -> (TaskManifest, {"train": bytes, "validation": bytes, "test": bytes})
        add all three files to IPFS; publish train/validation; keep test private until
        revealTestData. hidden_test_cid(files) is the CID whose digest is committed on chain.

Manifest (``ml.manifest``):
    TaskManifest.from_bytes(raw) -> TaskManifest (validated)   .to_bytes()  canonical JSON
    .cid() -> "Qm..."   .digest() -> 32 bytes (the contract's manifestDigest)

Participants and evaluators: split files -> arrays (``ml.preprocess``):
    prepare(manifest, files, use_cache=True, expected_test_cid=None, cache_dir=None) -> Prepared
        checks each file against its CID; cached on disk by manifest (and test file) CID in
        cache_dir (ml.preprocess.cache_dir_for(settings); None: the process settings' data dir).

Model and training (``ml.model``, ``ml.train``):
    build_model(hp, sequence_length, features)    the one place a model is built
    train_submission(manifest, prepared, hp, progress=None, seed=None, xla_cache_dir=None)
        -> TrainingResult   (xla_cache_dir: ml.train.xla_cache_dir_for(settings))
        progress(TrainingProgress) gets epoch/batch fractions and curves so far;
        TrainingResult.score_ppm is test accuracy in ppm (round half to even), None without test.
    accuracy_ppm(correct, total) -> int

Evaluation (``ml.runner``):
    evaluate_submissions(manifest, files, [Submission(address, hp), ...], workers=None,
                         progress=None, expected_test_cid=None, ...,
                         cache_dir=None, xla_cache_dir=None) -> EvaluationReport
        progress(RunnerProgress) per submission; workers=0 trains in-process.
    EvaluationReport.to_bytes() / .cid() / .digest() (the reportDigest)
        .scores_for_chain() -> (participants, scores) for postScores;  .score_of(address)
    verify_submission(manifest, files, Submission(address, hp), posted_score_ppm,
                      cache_dir=None, xla_cache_dir=None) -> Verification
        .reproduced, .recomputed_score_ppm, .summary()

Where trainings run (``ml.executor``): one interface, three implementations
    InlineExecutor(), LocalPoolExecutor(workers, threads, timeout_s)  (the default),
    RayExecutor(address)  (HYPERBOUNTY_RAY_ADDRESS: auto, ray://host:port or host:port)
    default_executor(workers=None, ...) picks one from the settings; Task(key, fn, payload,
    shared=(names,)), .share(name, value) once per node, .run(tasks, on_event), .describe()

Participant search (``ml.search``): an Optuna TPE study over the contract's ranges, stored in
a SQLite file so it resumes after a restart, trials in parallel on an executor
    run_search(manifest, files, study_path, trials=30, ...) -> SearchResult

Every name above is also importable from ``ml`` itself (``from ml import build_dataset``),
loaded on first use.

Processes that use the runner must guard their entry point with ``if __name__ == "__main__":``
(workers start with the spawn method, which re-imports the main module).
"""

import os
from importlib import import_module

# Keras picks its backend at first import; jax trains about 2x faster than torch on these CPUs.
os.environ.setdefault("KERAS_BACKEND", "jax")

_EXPORTS = {
    "ml.data": (
        "DataError",
        "load_bundled",
        "parse_upload",
        "CoinpaprikaClient",
        "resample",
        "merge_coins",
        "INTERVALS",
        "BUNDLED_COINS",
    ),
    "ml.manifest": ("TaskManifest",),
    "ml.preprocess": (
        "DatasetParameters",
        "demo_parameters",
        "tiny_parameters",
        "build_dataset",
        "prepare",
        "Prepared",
        "hidden_test_cid",
    ),
    "ml.model": ("build_model",),
    "ml.train": ("train_submission", "TrainingProgress", "TrainingResult", "accuracy_ppm"),
    "ml.executor": ("InlineExecutor", "LocalPoolExecutor", "RayExecutor", "Task", "default_executor"),
    "ml.search": ("run_search", "SearchResult"),
    "ml.runner": (
        "evaluate_submissions",
        "Submission",
        "RunnerProgress",
        "EvaluationReport",
        "verify_submission",
        "Verification",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    """Lazy re-exports: ``import ml`` stays cheap until a name is used."""
    if name not in _WHERE:
        raise AttributeError(f"module 'ml' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
