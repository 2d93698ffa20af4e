"""The wallet-style confirmation dialog every transaction passes through.

A page calls :func:`request` with a :class:`actions.tx.TxPlan` under a stable
key and ends with :func:`render_pending`, which opens the dialog while a request
is pending (the page, not the router: AppTest drops the router's own elements
after the first run, see dashboard.py). In the dialog:

* a table with From, To, Function, Value, Estimated gas, Estimated fee (or the
  contract's decoded refusal if the estimate already fails);
* buttons **Confirm** (key ``tx_confirm``) and **Reject** (key ``tx_cancel``);
* after Confirm: "Pending…" then the mined receipt (hash, block, gas used) or
  the decoded error, and **Close** (key ``tx_close``).

The outcome stays in the session under the request key, so the page shows it
with :func:`show_result` after the dialog is closed. It belongs to the account that
sent it and the bounty selected when it was asked for (``for_bounty=False``: to no
bounty, e.g. creating one): switch either in the sidebar or a picker and the page
shows only the new pair's outcomes, never another account's "Withdraw mined".
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from actions.errors import plain_error
from actions.tx import TxOutcome, TxPlan, preview_lines
from formatting import short_hash
from ui.common import ACCOUNT_KEY, backend, current_account, selected_bounty

PENDING = "tx_pending"
RESULTS = "tx_results"
# (account address, bounty id or None, request key): whose outcome, about what
ResultKey = tuple[str, int | None, str]


def _scoped(key: str, for_bounty: bool = True, account: str | None = None) -> ResultKey:
    """The key an outcome is kept under: the account (default: the wallet's), the selected bounty."""
    if account is None:
        current = current_account()
        account = current.address if current is not None else str(st.session_state.get(ACCOUNT_KEY, ""))
    who = account
    return (who.lower(), selected_bounty() if for_bounty else None, key)


def request(key: str, plan: TxPlan, *, for_bounty: bool = True) -> None:
    """Ask for confirmation of ``plan``; the dialog opens in this same script run. Its outcome will be
    kept for the plan's sender and (``for_bounty``) the bounty selected now."""
    scoped = _scoped(key, for_bounty, plan.sender)
    st.session_state[PENDING] = {"key": scoped, "plan": plan, "stage": "confirm", "preview": None}
    st.session_state.setdefault(RESULTS, {}).pop(scoped, None)


def result(key: str, *, for_bounty: bool = True) -> TxOutcome | None:
    """The outcome of ``key`` for the wallet's account and the selected bounty, if any."""
    return st.session_state.get(RESULTS, {}).get(_scoped(key, for_bounty))


def clear_result(key: str, *, for_bounty: bool = True) -> None:
    st.session_state.get(RESULTS, {}).pop(_scoped(key, for_bounty), None)


def show_result(key: str, *, for_bounty: bool = True) -> TxOutcome | None:
    """Show the outcome of the last transaction sent under ``key`` by the wallet's account about the
    selected bounty (``for_bounty=False``: about none), if any, and return it."""
    outcome = result(key, for_bounty=for_bounty)
    if outcome is None:
        return None
    if outcome.ok:
        st.success(
            f"**{outcome.title}** mined in block {outcome.block}, gas used {outcome.gas_used:,}. "
            f"Transaction `{outcome.tx_hash}`",
            icon=":material/check_circle:",
        )
        money = money_sentence(outcome)
        if money:
            st.caption(money)
        if outcome.extra.get("warning"):
            st.warning(outcome.extra["warning"], icon=":material/warning:")
    else:
        st.error(f"**{outcome.title}** failed: {outcome.error}", icon=":material/error:")
    return outcome


def money_sentence(outcome: TxOutcome) -> str:
    """The sender's money in one line, to the wei: before -> after, the change and the gas in it."""
    lines = dict(outcome.money_lines())
    if "Change" not in lines:
        return f"Gas fee {lines['Gas fee']}." if "Gas fee" in lines else ""
    return (
        f"{backend().label_of(outcome.sender) if outcome.sender else 'Sender'}'s balance "
        f"{lines['Balance before']} → {lines['Balance after']}: change {lines['Change']}, "
        f"of which gas {lines['of which gas']}."
    )


def _table(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame({"Value": [v for _, v in rows]}, index=pd.Index([k for k, _ in rows], name="Field"))
    st.table(frame)


def _dismiss() -> None:
    st.session_state.pop(PENDING, None)


def _close() -> None:
    _dismiss()
    st.rerun()


def _preview(pending: dict[str, Any]) -> Any:
    """Estimate once per request (the estimate is where a wrong role or phase first shows)."""
    if pending["preview"] is None:
        plan: TxPlan = pending["plan"]
        try:
            pending["preview"] = ("ok", plan.preview())
        except Exception as exc:
            pending["preview"] = ("error", plain_error(exc))
    return pending["preview"]


@st.dialog("Confirm transaction", width="medium", on_dismiss=_dismiss)
def _dialog() -> None:
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    plan: TxPlan = pending["plan"]
    st.markdown(f"**{plan.title}**")
    if pending["stage"] == "confirm":
        _confirm_stage(pending, plan)
    if pending["stage"] == "done":
        _done_stage(pending["outcome"])


def _confirm_stage(pending: dict[str, Any], plan: TxPlan) -> None:
    status, preview = _preview(pending)
    label = backend().label_of(plan.sender)
    if status == "ok":
        rows = preview_lines(preview, label) + plan.details
        _table(rows)
    else:
        st.error(f"The chain would refuse this transaction: {preview}", icon=":material/block:")
    left, right = st.columns(2)
    confirm = left.button(
        "Confirm",
        key="tx_confirm",
        type="primary",
        icon=":material/send:",
        disabled=status != "ok",
        width="stretch",
    )
    if right.button("Reject", key="tx_cancel", icon=":material/close:", width="stretch"):
        _close()
    if confirm:
        with st.spinner("Pending: waiting for the transaction to be mined…"):
            outcome = plan.execute()
        st.session_state.setdefault(RESULTS, {})[pending["key"]] = outcome
        pending["stage"], pending["outcome"] = "done", outcome


def _done_stage(outcome: TxOutcome) -> None:
    if outcome.ok:
        st.success("Mined", icon=":material/check_circle:")
        rows = [
            ("Transaction", short_hash(outcome.tx_hash, 14)),
            ("Block", str(outcome.block)),
            ("Gas used", f"{outcome.gas_used:,}"),
        ]
        rows += outcome.money_lines()
        rows += [
            (k.replace("_", " ").capitalize(), str(v)) for k, v in outcome.extra.items() if k != "warning"
        ]
        _table(rows)
    else:
        st.error(outcome.error, icon=":material/error:")
    if st.button("Close", key="tx_close", icon=":material/done:", width="stretch"):
        _close()


def render_pending() -> None:
    """Open the dialog if a request is pending (every page calls it last)."""
    if st.session_state.get(PENDING):
        _dialog()
