"""Writing the events a use case produced, with the store's policy stamped on each."""

from __future__ import annotations

from db.events import append_event
from rules.alert_state import AlertState
from rules.alert_transitions import NewEvent
from usecases.notifications import notify
from usecases.store import Store


def write_events(
    store: Store,
    events: list[NewEvent],
    *,
    child_id: int,
    alert_id: int | None = None,
    review_id: int | None = None,
    alert_states: list[AlertState] | None = None,
) -> list[int]:
    """Append events about one alert or review; returns the ids written.

    A derived event carries a key made of its subject, rule, kind, date and level, so a
    sweep that runs twice (or two at once) can never log it twice: the second is skipped
    and its id is missing from the answer.

    Each event written is also told to whoever the policy says must hear of it
    (``usecases.notifications``), in the same transaction. For an alert, pass the alert's
    state after each event (``alert_states``) so the message can say who must act next.
    """
    subject = f"alert:{alert_id}" if alert_id is not None else f"review:{review_id}"
    ids = []
    for n, event in enumerate(events):
        key = None
        if event.rule is not None:
            key = f"{subject}:{event.rule}:{event.kind}:{event.on}:{event.data.get('level', '')}"
        event_id = append_event(
            store.db,
            kind=event.kind,
            occurred_on=event.on,
            actor_id=event.actor_id,
            actor_role=event.actor_role or None,
            child_id=child_id,
            alert_id=alert_id,
            review_id=review_id,
            data=event.data,
            reason=event.reason,
            rule=event.rule,
            policy_id=store.policy.id,
            policy_version=store.policy.version,
            dedupe_key=key,
        )
        if event_id is not None:
            ids.append(event_id)
            state = alert_states[n] if alert_states is not None else None
            notify(store, event, event_id, child_id=child_id, state=state)
    return ids
