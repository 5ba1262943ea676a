"""The dashboard's figures are for every manager it is for; its lists that name children
follow the access rules; the administrator has neither."""

from __future__ import annotations

import datetime as dt

import pytest

from db.people import insert_staff
from tests.page_support import AS_OF, demo_store, user_with_role
from usecases.accounts import user_from_account
from usecases.dashboard import figures, make_filter, require_dashboard, visible_to
from usecases.errors import UserError
from usecases.reports import monthly


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("dash-access"))


def test_the_administrator_has_no_dashboard(store):
    with pytest.raises(UserError, match="you are signed in as Administrator"):
        require_dashboard(user_with_role(store, "admin"))
    require_dashboard(user_with_role(store, "head_of_service"))


def test_a_service_manager_outside_the_line_sees_figures_but_no_named_alerts(store):
    from db.accounts import account_by_email

    staff_id = insert_staff(store.db, name="Sam Otherline", email="sam.otherline@x.invalid",
                            role="service_manager")
    outsider = user_from_account(account_by_email(store.db, "sam.otherline@x.invalid"))
    assert outsider.staff_id == staff_id
    head = user_with_role(store, "head_of_service")
    f = make_filter(store, dt.date(2020, 1, 1), AS_OF, None, None, None)
    fig = figures(store, f, AS_OF)
    assert fig.outstanding  # the demo has open alerts
    assert visible_to(store, head, fig.outstanding, "alert") == fig.outstanding
    assert visible_to(store, outsider, fig.outstanding, "alert") == []
    listed = monthly(store, AS_OF.year, AS_OF.month, AS_OF, user=outsider)[0]
    assert listed.rows == ()
    assert len(monthly(store, AS_OF.year, AS_OF.month, AS_OF, user=head)[0].rows) == len(
        fig.outstanding)
