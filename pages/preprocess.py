"""Preprocess (owner): choose price data, look at it, build the split files and manifest, publish them.

Widget keys: ``pp_protocol`` (demo / tiny preset), ``pp_source``, ``pp_coins``, ``pp_interval``,
``pp_target``, ``pp_future``, ``pp_seq``, ``pp_train``, ``pp_val``, ``pp_test`` (percent),
``pp_last_rows`` (0 = all), ``pp_upload``, ``pp_api_key``, ``pp_start``/``pp_end`` (coinpaprika dates),
``pp_test_kind`` (coinpaprika: forward / private) and ``pp_forward_hours`` (forward-test window);
buttons ``pp_load`` ("Load data"), ``pp_build`` ("Build dataset"), ``pp_publish`` ("Publish to IPFS");
charts ``pp_chart_norm``, ``pp_chart_coin``, ``pp_chart_balance`` and table ``pp_cids``.
The built dataset's folder name goes to ``st.session_state["dataset_id"]`` for the Initialize page.

The loaded data is known by its load arguments (``st.session_state["pp_load_args"]``, a tuple
in :func:`_load`'s order, so it doubles as the cache key), its coins by ``pp_available``; a
publication (``actions.datasets.publish``'s files: CID, held, pinned, gateway link) stays in
``pp_published`` until the next build.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from actions import datasets
from formatting import utc
from ui import charts, tx
from ui.common import backend
from ui.page import plain_errors, require_router

# protocol name (what the code, the CLI and the tests use) -> what a person reads
PRESETS = {
    "demo": "Demo (a few minutes per submission; a real comparison)",
    "tiny": "Quick check (seconds once warm; a small task to try the flow)",
}
BUNDLED_COINS = list(datasets.BUNDLED_COINS)
INTERVALS = list(datasets.INTERVALS)
TEST_KINDS = {
    "forward": "Forward test: the candles after the reveal deadline (they do not exist yet)",
    "private": "Private: the last part of the loaded history, committed by digest",
}

LoadArgs = tuple[str, tuple[str, ...], bytes | None, str, str, int, int, str]


@dataclass(frozen=True)
class TaskForm:
    """The task as chosen in the form: what the dataset predicts, from what, split how."""

    coins: tuple[str, ...]
    interval: str
    target: str
    future: int
    seq: int
    last_rows: int  # 0 = all
    split_percent: tuple[int, int, int]  # train, validation, test

    @property
    def split_ok(self) -> bool:
        return sum(self.split_percent) == 100

    @property
    def permille(self) -> tuple[int, int, int]:
        train, val, test = self.split_percent
        return (train * 10, val * 10, test * 10)


def _apply_preset() -> None:
    params = datasets.default_parameters(st.session_state["pp_protocol"])
    st.session_state.update(
        {
            "pp_coins": list(params.coins),
            "pp_interval": params.interval,
            "pp_target": params.target_coin,
            "pp_future": params.future_period,
            "pp_seq": params.sequence_length,
            "pp_train": params.split_permille[0] // 10,
            "pp_val": params.split_permille[1] // 10,
            "pp_test": params.split_permille[2] // 10,
            "pp_last_rows": params.last_rows or 0,
        }
    )


@st.cache_data(show_spinner="Loading candles…", max_entries=8)
def _load(
    source: str,
    coins: tuple[str, ...],
    upload: bytes | None,
    upload_name: str,
    api_key: str,
    start: int,
    end: int,
    interval: str,
) -> dict[str, pd.DataFrame]:
    return datasets.load_candles(
        backend().settings,
        source,
        list(coins),
        upload=upload,
        upload_name=upload_name,
        api_key=api_key,
        start=start,
        end=end,
        interval=interval,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _preview(load_args: tuple, interval: str, last_rows: int, coins: tuple[str, ...]) -> pd.DataFrame:
    return datasets.preview_frame(_load(*load_args), interval, last_rows or None, list(coins))


@st.cache_data(show_spinner=False, max_entries=16)
def _balance(dataset_id: str) -> pd.DataFrame:
    """Class balance of a kept dataset (its files never change under the same id)."""
    built = next(d for d in datasets.saved(backend().settings) if d.dataset_id == dataset_id)
    return datasets.class_balance(built)


def _midnight(day: object) -> int:
    """A date input's day as the Unix time of its midnight UTC (0 while no day is chosen)."""
    if not isinstance(day, date):
        return 0
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def _upload_inputs() -> tuple[bytes | None, str]:
    file = st.file_uploader(
        "Price CSV",
        type=["csv"],
        key="pp_upload",
        max_upload_size=datasets.MAX_UPLOAD_MB,
        help="time,close,volume for one coin (named by the file, e.g. BTC-USD.csv), "
        f"or time,BTC_close,BTC_volume,... for several. Up to {datasets.MAX_UPLOAD_MB} MB.",
    )
    st.caption(f"A CSV of candles, up to {datasets.MAX_UPLOAD_MB} MB; for more, upload a shorter period.")
    return (file.getvalue(), file.name) if file is not None else (None, "")


def _coinpaprika_inputs() -> tuple[str, int, int]:
    """The API key and the dates to load, and what the test data will be (forward or private)."""
    api_key = st.text_input(
        "coinpaprika API key (optional)",
        type="password",
        key="pp_api_key",
        help="Without a key the free API is used; it has no 5-minute history.",
    )
    today = datetime.now(UTC).date()
    left, right = st.columns(2)
    start_day = left.date_input("From (UTC)", value=today - timedelta(days=7), key="pp_start")
    end_day = right.date_input("To (UTC)", value=today, key="pp_end")
    test_kind = st.radio(
        "Test data", list(TEST_KINDS), format_func=TEST_KINDS.__getitem__, key="pp_test_kind"
    )
    if test_kind == "forward":
        st.number_input(
            "Forward-test window (hours)",
            1,
            720,
            value=24,
            key="pp_forward_hours",
            help="The test file is the candles of this many hours from the reveal deadline on, built "
            "after they exist; the history above is split into train and validation only. Make the "
            "evaluation window (Initialize) longer than this window plus the training time.",
        )
    return api_key, _midnight(start_day), _midnight(end_day)


def _load_button(args: LoadArgs) -> None:
    """Load the candles; the coins found narrow the coin choice."""
    if not st.button("Load data", key="pp_load", icon=":material/download:"):
        return
    with plain_errors():
        frames = _load(*args)
        st.session_state["pp_load_args"] = args
        st.session_state["pp_available"] = sorted(frames)
        kept = [c for c in st.session_state["pp_coins"] if c in frames]
        st.session_state["pp_coins"] = kept or sorted(frames)


def _source_panel() -> None:
    with st.container(border=True):
        st.subheader("Source")
        st.selectbox(
            "Protocol preset",
            list(PRESETS),
            format_func=PRESETS.__getitem__,
            key="pp_protocol",
            on_change=_apply_preset,
            help=(
                "Sets every field below to a preset. Quick check: 2 coins, 15-minute candles, 1 epoch over "
                "256 sequences; the first training on a machine compiles the model (about 15-25 s), later "
                "ones take about a second. Demo: 4 coins, 6 epochs, 3 seeds x 3 eras. The evaluation "
                "budget is chosen on Initialize."
            ),
        )
        source = st.radio(
            "Data source",
            list(datasets.SOURCES),
            format_func=datasets.SOURCES.__getitem__,
            key="pp_source",
            horizontal=True,
        )
        if source == "bundled":
            st.info(
                "The bundled 2018 candles are public: anyone can download them, so the test window of a "
                "dataset built from them (its forward test) is a rehearsal, not a secret. The live "
                "coinpaprika source gives a real forward test, on candles that do not exist yet while "
                "submissions are open.",
                icon=":material/public:",
            )
        upload, upload_name, api_key, start, end = None, "", "", 0, 0
        if source == "upload":
            upload, upload_name = _upload_inputs()
        if source == "coinpaprika":
            api_key, start, end = _coinpaprika_inputs()
        coins = tuple(st.session_state["pp_coins"]) if source != "upload" else ()
        _load_button(
            (source, coins, upload, upload_name, api_key, start, end, st.session_state["pp_interval"])
        )


def _task_panel(available: list[str]) -> TaskForm:
    with st.container(border=True):
        st.subheader("Task")
        coins = st.multiselect(  # a row of its own: every coin's chip shows in full (BCH was cut off)
            "Coins",
            sorted(set(available) | set(st.session_state["pp_coins"])),
            key="pp_coins",
            help="Every coin's close and volume become features; times all coins share are kept.",
        )
        mid, right = st.columns(2)
        interval = mid.selectbox(
            "Interval", INTERVALS, key="pp_interval", help="Candles are aggregated to this step."
        )
        targets = coins or available
        if st.session_state.get("pp_target") not in targets and targets:
            st.session_state["pp_target"] = targets[0]
        target = right.selectbox(
            "Target coin",
            targets,
            key="pp_target",
            help="The model predicts whether this coin closes higher.",
        )
        left, mid, right = st.columns(3)
        future = left.number_input(
            "futurePeriod (intervals ahead)",
            1,
            1024,
            key="pp_future",
            help="Target: is the close this many intervals later higher than now?",
        )
        seq = mid.number_input(
            "sequenceLength (intervals)",
            1,
            1024,
            key="pp_seq",
            help="How many past intervals the model sees per prediction.",
        )
        last_rows = right.number_input(
            "Keep the most recent rows (0 = all)",
            0,
            10_000_000,
            key="pp_last_rows",
            help="A smaller dataset trains faster.",
        )
        left, mid, right = st.columns(3)
        train = left.number_input("Train %", 1, 98, key="pp_train")
        val = mid.number_input("Validation %", 1, 98, key="pp_val")
        test = right.number_input("Test % (kept hidden)", 1, 98, key="pp_test")
    return TaskForm(
        tuple(coins),
        interval,
        target,
        int(future),
        int(seq),
        int(last_rows),
        (int(train), int(val), int(test)),
    )


def _task_problems(task: TaskForm) -> None:
    if not task.split_ok:
        st.error(
            f"The split adds up to {sum(task.split_percent)} %; make train, validation and test add up to "
            "100 %.",
            icon=":material/error:",
        )
    if not task.coins:
        st.warning("Choose at least one coin.", icon=":material/warning:")


def _preview_panel(load_args: LoadArgs, task: TaskForm) -> None:
    """The merged price series with the train / validation / test spans shaded."""
    merged = None
    with plain_errors():
        merged = _preview(load_args, task.interval, task.last_rows, task.coins)
    if merged is None:
        return
    spans = datasets.split_spans(merged, task.permille)
    st.caption(
        f"{len(merged):,} merged {task.interval} rows from {utc(merged.index[0])} to {utc(merged.index[-1])}."
    )
    tab_norm, tab_coin = st.tabs(
        [":material/show_chart: Normalised", ":material/stacked_line_chart: Per coin"]
    )
    coins = list(task.coins)
    tab_norm.plotly_chart(charts.normalised_prices(merged, coins, spans), key="pp_chart_norm")
    tab_coin.plotly_chart(charts.per_coin_prices(merged, coins, spans), key="pp_chart_coin")


def _parameters(load_args: LoadArgs, task: TaskForm) -> datasets.DatasetParameters:
    """The preset's parameters with the form's choices (and, for coinpaprika, its test data rule)."""
    base = datasets.default_parameters(st.session_state["pp_protocol"])
    source = load_args[0]
    params = replace(
        base,
        source=source,
        coins=task.coins,
        interval=task.interval,
        target_coin=task.target,
        future_period=task.future,
        sequence_length=task.seq,
        split_permille=task.permille,
        last_rows=task.last_rows or None,
        description=base.description
        if source == "bundled"
        else f"{datasets.SOURCES[source]}: {', '.join(task.coins)} {task.interval}",
    )
    if source == "coinpaprika":  # a live forward test, or a private split of the history
        kind = st.session_state.get("pp_test_kind", "forward")
        hours = int(st.session_state.get("pp_forward_hours", 24))
        params = replace(params, test_kind=kind, forward_duration_s=hours * 3600)
    return params


def _build_button(load_args: LoadArgs | None, task: TaskForm) -> None:
    ready = bool(load_args and task.coins and task.split_ok)
    clicked = st.button(
        "Build dataset", key="pp_build", icon=":material/build:", type="primary", disabled=not ready
    )
    if not clicked or load_args is None:
        return
    with plain_errors():
        params = _parameters(load_args, task)
        with st.spinner("Building split files and manifest…"):
            built = datasets.build(backend().settings, _load(*load_args), params)
        st.session_state["dataset_id"] = built.dataset_id
        st.session_state.pop("pp_published", None)


def _cid_table(built: datasets.BuiltDataset, published: dict[str, datasets.PublishedFile] | None) -> None:
    """Every file's CID; once published, whether the store holds and pins each public file, and its
    gateway link (a column only where a gateway can serve the files)."""
    rows = []
    for name, cid in built.cids.items():
        row: dict[str, object] = {"file": name, "CID": cid}
        if published:
            public = published.get(name)
            row["held"] = public.held if public else None
            row["pinned"] = public.pinned if public else None
            row["gateway"] = public.gateway_url if public else None
        rows.append(row)
    links = any(row.get("gateway") for row in rows)
    if published and not links:
        for row in rows:
            row.pop("gateway")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="pp_cids",
        column_config={"gateway": st.column_config.LinkColumn("gateway")},
    )
    if published and not links:
        st.caption(
            "No gateway link: these files are in this machine's embedded store, which no gateway can "
            "reach. To let participants on other machines fetch them, set HYPERBOUNTY_IPFS_API to an IPFS "
            "node and publish again; they read through that node's gateway (HYPERBOUNTY_IPFS_GATEWAY)."
        )


def _publish_button(built: datasets.BuiltDataset) -> None:
    if st.button("Publish to IPFS", key="pp_publish", icon=":material/cloud_upload:"):
        with plain_errors():
            with st.spinner("Adding files to the content store…"):
                st.session_state["pp_published"] = datasets.publish(backend(), built)
            st.rerun()
    published = st.session_state.get("pp_published")
    if published:
        unkept = [f.name for f in published.values() if not (f.held and f.pinned)]
        st.success(
            f"Published to {backend().store.describe()}: manifest {published['manifest'].cid}. "
            "Next: create the bounty on the Initialize page.",
            icon=":material/cloud_done:",
        )
        if unkept:
            st.warning(
                f"The store does not hold and pin {', '.join(unkept)}: it may drop them before "
                "participants fetch them. Publish again, or pin them on the node.",
                icon=":material/warning:",
            )


def _built_panel(built: datasets.BuiltDataset) -> None:
    with st.container(border=True):
        st.subheader(":material/inventory_2: Built dataset")
        manifest = built.manifest
        st.write(
            f"**{manifest.title}** · {', '.join(manifest.coins)} · {manifest.interval} · "
            f"target {manifest.target_coin} · sequenceLength {manifest.sequence_length} · "
            f"futurePeriod {manifest.future_period}"
        )
        rows = manifest.data.rows
        st.caption(
            f"Rows: train {rows['train']:,}, validation {rows['validation']:,}, test {rows['test']:,}."
        )
        with plain_errors():
            st.plotly_chart(
                charts.class_balance(_balance(built.dataset_id), manifest.target_coin),
                key="pp_chart_balance",
            )
        _cid_table(built, st.session_state.get("pp_published"))
        st.caption(
            "The test file stays on this machine; only its digest goes on chain, until the owner "
            "reveals it on the Evaluate page."
            if built.test_cid
            else "No test file yet: it is built by the manifest's rule from the candles after the "
            "reveal deadline, once they exist, and revealed on the Evaluate page."
        )
        _publish_button(built)


def _built_dataset() -> datasets.BuiltDataset | None:
    """The dataset this session built last (its id in ``st.session_state["dataset_id"]``)."""
    dataset_id = st.session_state.get("dataset_id")
    kept = datasets.saved(backend().settings) if dataset_id else []
    return next((d for d in kept if d.dataset_id == dataset_id), None)


def main() -> None:
    require_router()
    st.title(":material/dataset: Preprocess")
    st.caption("Owner: choose the price data, see how it splits, then build and publish the task files.")
    if "pp_coins" not in st.session_state:
        st.session_state["pp_protocol"] = "demo"
        _apply_preset()
    _source_panel()
    load_args = st.session_state.get("pp_load_args")
    task = _task_panel(st.session_state.get("pp_available", BUNDLED_COINS))
    _task_problems(task)
    if load_args and task.coins and task.split_ok:
        _preview_panel(load_args, task)
    elif not load_args:
        st.info("Load data to see the price series and how it splits.", icon=":material/info:")
    _build_button(load_args, task)
    built = _built_dataset()
    if built is not None:
        _built_panel(built)
    tx.render_pending()  # the sidebar's transactions (funding, deploying a board) confirm here too


main()
