"""The web routes that sign people in and out: the only places a session cookie is set.

Streamlit scripts cannot set cookies, so the sign-in form on the page is a plain HTML form
that posts here (``serve.py`` mounts these routes on Streamlit's own server through
``st.App``). A successful sign-in sets one HttpOnly, SameSite cookie holding a signed
random token and sends the browser on to the page it asked for; the store keeps only the
token's hash. Sign-out ends the session on the server and clears the cookie.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from db.connection import resolve_db_path
from ui.context import now_utc
from usecases.errors import UserError
from usecases.sessions import sign_in_with_password, sign_out, signing_key
from usecases.store import Store, open_store

SESSION_COOKIE = "iro_session"
FLASH_COOKIE = "iro_flash"
NEXT_COOKIE = "iro_next"
SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
SSO_PATH = "/auth/single-sign-on"
MAX_FORM_FIELD = 1_000

#: Set by ``serve.py`` when it mounts these routes in this process; the sign-in page
#: checks it, so an app started without them says so instead of failing on submit.
MOUNTED_ENV = "IRO_AUTH_ROUTES"


def routes_mounted() -> bool:
    import os

    return os.environ.get(MOUNTED_ENV) == "yes"

log = logging.getLogger("iro.auth")


def safe_next(target: str | None) -> str:
    """A path on this site to go to after signing in; anything else becomes the home page.

    Only a local path is accepted (no scheme, no host, no ``//``), so a crafted link cannot
    send a person to another site after they sign in.
    """
    if not target or len(target) > 2_000:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """Refuse form posts from other sites (the browser names the page that posted)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # some browsers omit both on a same-site form post; SameSite covers it
    return urlsplit(source).netloc == request.headers.get("host", "")


def _flash_serializer(store: Store) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(store), salt="iro-alerts-flash")


def read_flash(store: Store, value: str | None) -> str:
    """The message a route left for the next page: signed by this server, at most a
    minute old, so a page never shows text that someone else put in a cookie."""
    if not value:
        return ""
    try:
        return str(_flash_serializer(store).loads(value, max_age=60))
    except (BadSignature, ValueError):
        return ""


def _store() -> Store:
    return open_store(resolve_db_path())


def _redirect(target: str, *, flash: str = "", secure: bool = False) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    if flash:
        try:
            signed = _flash_serializer(_store()).dumps(flash)
        except Exception:  # no store to sign with: the page will show its own message
            signed = ""
        response.set_cookie(FLASH_COOKIE, signed, max_age=60,
                            httponly=True, samesite="lax", secure=secure, path="/")
    else:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=10)
    return {k: str(v)[:MAX_FORM_FIELD] for k, v in form.items() if isinstance(v, str)}


async def sign_in_route(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Sign-in refused: the form was not sent from this site.", 403)
    form = await _form(request)
    target = safe_next(form.get("next"))
    secure = request.url.scheme == "https"

    def attempt():
        return sign_in_with_password(_store(), form.get("email", ""), form.get("password", ""),
                                     client=_client(request), now=now_utc())

    try:
        outcome = await run_in_threadpool(attempt)
    except UserError as problem:
        return await run_in_threadpool(_redirect, target, flash=str(problem), secure=secure)
    except Exception:
        log.exception("Sign-in failed unexpectedly")
        return await run_in_threadpool(
            _redirect, target, flash="Signing in failed because of a problem on the server. "
                                     "Try again; if it keeps happening, tell your administrator.",
            secure=secure)
    if outcome.token is None:
        return await run_in_threadpool(_redirect, target, flash=outcome.message, secure=secure)
    response = _redirect(target, secure=secure)
    response.set_cookie(SESSION_COOKIE, outcome.token, httponly=True, samesite="lax",
                        secure=secure, path="/")
    return response


async def sign_out_route(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Sign-out refused: the form was not sent from this site.", 403)
    token = request.cookies.get(SESSION_COOKIE)

    def end():
        sign_out(_store(), token, now=now_utc())

    try:
        await run_in_threadpool(end)
    except Exception:
        log.exception("Sign-out failed unexpectedly")
    response = await run_in_threadpool(_redirect, "/", flash="You have signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def single_sign_on_route(request: Request) -> Response:
    """Remember where the person was going, then hand over to Streamlit's ``st.login``."""
    from streamlit.auth_util import encode_provider_token

    if not _same_origin(request):
        return PlainTextResponse("Sign-in refused: the form was not sent from this site.", 403)
    form = await _form(request)
    provider = form.get("provider") or "default"
    response = RedirectResponse(f"/auth/login?provider={encode_provider_token(provider)}",
                                status_code=303)
    response.set_cookie(NEXT_COOKIE, safe_next(form.get("next")), max_age=600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


ROUTES = [
    Route(SIGN_IN_PATH, sign_in_route, methods=["POST"]),
    Route(SIGN_OUT_PATH, sign_out_route, methods=["POST"]),
    Route(SSO_PATH, single_sign_on_route, methods=["POST"]),
]
