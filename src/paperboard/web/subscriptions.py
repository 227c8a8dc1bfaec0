"""Pages behind the links in mail: confirm, preferences, one-click unsubscribe; and /dev/mail.

No GET changes anything: a link opened by a mail scanner or a preview pane only shows a page
with a button. The token in the path is signed and made for one purpose, so these pages need no
login. ``POST /unsubscribe/{token}`` is exempt from CSRF because RFC 8058 mail clients POST it
without cookies; the token is the proof. Pages that carry a token in their URL are never cached
and send no Referer, so the token does not leak to the sites they link to.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from paperboard.errors import UserError
from paperboard.services import subscriptions
from paperboard.services.subscriptions import MANAGE, UNSUBSCRIBE, InvalidLink
from paperboard.web.errors import error_response
from paperboard.web.headers import mail_preview_policy
from paperboard.web.rendering import page
from paperboard.web.security import csrf_exempt

router = APIRouter(tags=["subscriptions"], default_response_class=HTMLResponse)

_TOKEN = {"max_length": 400}
_PRIVATE_HEADERS = {"referrer-policy": "no-referrer", "x-robots-tag": "noindex", "cache-control": "no-store"}


def _ctx(request: Request):
    return request.app.state.ctx


def _path(request: Request, purpose: str, email: str) -> str:
    """The site-relative path of a signed link (pages link within the site they are served from)."""
    settings = _ctx(request).settings
    return subscriptions.link(settings, purpose, email).removeprefix(settings.resolved_base_url)


def _private(response):
    response.headers.update(_PRIVATE_HEADERS)
    return response


def _bad_link(request: Request, error: UserError):
    return _private(error_response(request, 400, str(error), heading="This link does not work"))


def _page(request: Request, template: str, title: str, **context):
    return _private(page(request, template, title=title, canonical="/subscription", cache=False, **context))


def _manage_page(request: Request, token: str, target, *, notice: str | None = None, error: str | None = None, form=None):
    return _page(
        request,
        "subscription_manage.html",
        "Your digest",
        status=400 if error else 200,
        target=target,
        token=token,
        notice=notice,
        error=error,
        form=form,
        unsubscribe_path=_path(request, UNSUBSCRIBE, target.email),
    )


@router.get("/subscription/confirm/{token}", summary="Confirm an address: a page with a button (no change on GET)")
async def confirm_page(request: Request, token: str):
    try:
        target = await run_in_threadpool(subscriptions.inspect_link, _ctx(request), "confirm", token)
    except InvalidLink as error:
        return _bad_link(request, error)
    return _page(
        request,
        "subscription_confirm.html",
        "Confirm your subscription",
        target=target,
        token=token,
        manage_path=_path(request, MANAGE, target.email),
    )


@router.post("/subscription/confirm/{token}", summary="Confirm an address")
async def confirm(request: Request, token: str):
    ctx = _ctx(request)
    try:
        target = await run_in_threadpool(subscriptions.confirm, ctx, token)
    except InvalidLink as error:
        return _bad_link(request, error)
    return RedirectResponse(_path(request, MANAGE, target.email) + "?confirmed=1", status_code=303)


@router.get("/subscription/manage/{token}", summary="Preferences: frequency and topics")
async def manage_page(request: Request, token: str, confirmed: bool = False):
    try:
        target = await run_in_threadpool(subscriptions.inspect_link, _ctx(request), MANAGE, token)
    except InvalidLink as error:
        return _bad_link(request, error)
    notice = "Your address is confirmed. Choose what your digest brings, or keep the defaults." if confirmed else None
    return _manage_page(request, token, target, notice=notice)


@router.post("/subscription/manage/{token}", summary="Save preferences")
async def save_preferences(
    request: Request,
    token: str,
    frequency: str = Form("daily", max_length=16),
    categories: str = Form("", max_length=2000),
    searches: str = Form("", max_length=4000),
):
    ctx = _ctx(request)
    try:
        target = await run_in_threadpool(
            lambda: subscriptions.update_preferences(ctx, token, frequency=frequency, categories=categories, searches=searches)
        )
    except InvalidLink as error:
        return _bad_link(request, error)
    except UserError as error:
        target = await run_in_threadpool(subscriptions.inspect_link, ctx, MANAGE, token)
        form = {"frequency": frequency, "categories": categories, "searches": searches}
        return _manage_page(request, token, target, error=str(error), form=form)
    return _manage_page(request, token, target, notice="Saved. The next digest follows these preferences.")


@router.get("/unsubscribe/{token}", summary="Unsubscribe: a page with a button (no change on GET)")
async def unsubscribe_page(request: Request, token: str):
    try:
        target = await run_in_threadpool(subscriptions.inspect_link, _ctx(request), UNSUBSCRIBE, token)
    except InvalidLink as error:
        return _bad_link(request, error)
    return _page(request, "unsubscribe.html", "Unsubscribe", target=target, token=token, done=False)


@router.post("/unsubscribe/{token}", summary="One-click unsubscribe (RFC 8058): no login, no CSRF token")
@csrf_exempt
async def unsubscribe(request: Request, token: str):
    try:
        email = await run_in_threadpool(subscriptions.unsubscribe, _ctx(request), token)
    except InvalidLink as error:
        return _bad_link(request, error)
    target = subscriptions.LinkTarget(email, "unsubscribed")
    return _page(request, "unsubscribe.html", "Unsubscribed", target=target, token=token, done=True)


# -- development --------------------------------------------------------------------------------
def _mail_folder(request: Request):
    settings = _ctx(request).settings
    if not (settings.mail_dev_view and settings.environment == "dev"):
        raise HTTPException(404)
    from paperboard.services.mailbox import dev_mailbox

    return dev_mailbox(settings)


@router.get("/dev/mail", summary="Mail the local sink received (dev only)", include_in_schema=False)
async def dev_mail(request: Request):
    folder = _mail_folder(request)
    messages = await run_in_threadpool(folder.summaries, 200)
    return _page(request, "dev_mail.html", "Mail sink", messages=messages, folder=str(folder.path))


@router.get("/dev/mail/{name}", summary="One received mail (dev only)", include_in_schema=False)
async def dev_mail_message(request: Request, name: str):
    folder = _mail_folder(request)
    raw = await run_in_threadpool(folder.raw, name)
    if raw is None:
        raise HTTPException(404, f"There is no mail called {name[:80]} in the sink.")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    response = _page(
        request,
        "dev_mail_message.html",
        str(message["Subject"] or "(no subject)"),
        name=name,
        headers=[(k, str(v)) for k, v in message.items()],
        text=text.get_content() if text is not None else None,
        html=html.get_content() if html is not None else None,
    )
    response.headers["content-security-policy"] = mail_preview_policy()  # the mail's inline styles
    return response
