"""Account pages: sign up, log in and out, verify, password reset, the account page; ``GET /api/me``.

Server-rendered forms that work without JavaScript. No GET changes anything: the verification
link opens a page with a button that POSTs. Pages that carry a token in their URL or show a
secret are never stored (``no-store``) and send no Referer. Mail leaves from a background task
after the response, so after the transaction that made its token committed.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from paperboard.domain.accounts import PASSWORD_MAX
from paperboard.services import account_mail, accounts
from paperboard.services.account_mail import RESET, VERIFY, TokenProblem
from paperboard.services.accounts import AccountError
from paperboard.errors import WritesUnavailable
from paperboard.web.auth import Member, api_member, bearer_token, current_member, require_member
from paperboard.web.errors import after_response, error_response
from paperboard.web.rendering import page

router = APIRouter(tags=["accounts"], default_response_class=HTMLResponse)

_PRIVATE_HEADERS = {"referrer-policy": "no-referrer", "x-robots-tag": "noindex", "cache-control": "no-store"}
_PASSWORD = {"max_length": PASSWORD_MAX * 4}  # the rule's own message speaks of PASSWORD_MAX
_TOKEN = {"max_length": 400}


def _ctx(request: Request):
    return request.app.state.ctx


def client_ip(request: Request) -> str:
    """The address the rate limiters count (behind a proxy, uvicorn's proxy headers set it)."""
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never ``//evil`` or a URL)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target and "\r" not in target:
        return target
    return "/papers"


def _page(request: Request, template: str, title: str, *, status: int = 200, **context):
    response = page(request, template, title=title, canonical=request.url.path, status=status, cache=False, **context)
    response.headers.update(_PRIVATE_HEADERS)
    return response


def _notice(request: Request, heading: str, message: str, status: int = 200):
    return _page(request, "account_notice.html", heading, status=status, heading=heading, message=message)


def _bad_link(request: Request, error: TokenProblem):
    response = error_response(request, 400, str(error), heading="This link does not work")
    response.headers.update(_PRIVATE_HEADERS)
    return response


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


# -- sign up, log in, log out -------------------------------------------------------------------
@router.get("/signup", summary="The sign-up form")
def signup_page(request: Request):
    return _page(request, "signup.html", "Sign up", form={}, error=None)


@router.post("/signup", summary="Create an account; a verification mail follows")
def signup(
    request: Request,
    background: BackgroundTasks,
    email: str = Form("", max_length=1000),
    username: str = Form("", max_length=200),
    password: str = Form("", **_PASSWORD),
    display_name: str = Form("", max_length=500),
):
    ctx = _ctx(request)
    try:
        owed = account_mail.sign_up(
            ctx, email=email, username=username, password=password, display_name=display_name, ip=client_ip(request)
        )
    except AccountError as error:
        form = {"email": email, "username": username, "display_name": display_name}
        return _page(request, "signup.html", "Sign up", status=400, form=form, error=str(error))
    if owed is not None:
        after_response(background, account_mail.send_account_mail, ctx, owed)
    # The same answer whether the address is new or already has an account (whose owner gets a
    # mail saying someone tried): no session yet, since a new one would tell the two apart.
    return _notice(request, "Check your mail", _SIGNUP_SENT.format(email=accounts.checked_email(email), hours=ctx.settings.account_verify_hours))


_SIGNUP_SENT = (
    "We sent a mail to {email}. Open the link in it to verify the address (it works for {hours} hours), "
    "then log in with your username or email and the password you chose. Nothing arrived? Look in the "
    "spam folder; the link can be sent again from your account page once you log in."
)


@router.get("/login", summary="The login form")
def login_page(request: Request, next: str = Query("/papers", max_length=2000), reset: bool = False, ended: bool = False):
    notice = (
        "Your password is set. Log in with it." if reset
        else "You are logged out on every device." if ended
        else None
    )
    return _page(request, "login.html", "Log in", next_path=safe_next(next), login="", error=None, notice=notice)


@router.post("/login", summary="Log in with email or username and password")
def login(
    request: Request,
    login: str = Form("", max_length=1000),
    password: str = Form("", **_PASSWORD),
    next: str = Form("/papers", max_length=2000),
):
    try:
        user = accounts.log_in(_ctx(request), login, password, ip=client_ip(request))
    except AccountError as error:
        return _page(request, "login.html", "Log in", status=400, next_path=safe_next(next), login=login, error=str(error), notice=None)
    response = _redirect(safe_next(next))
    request.app.state.sessions.set(response, user.id, user.session_version)
    return response


@router.post("/logout", summary="Log out: ends this account's sessions, a copied cookie included")
def logout(request: Request, member: Member | None = Depends(current_member)):
    """A signed cookie cannot be recalled, so logging out moves the account's session counter on:
    every cookie issued before (this browser's, a copy of it, other devices') stops working."""
    response = _redirect("/papers")
    if member is not None and bearer_token(request) is None:
        try:
            accounts.log_out_everywhere(_ctx(request), member.id)
        except WritesUnavailable as error:
            response = error_response(
                request, 503, f"{error} This browser is logged out, but its session could not be ended for good.",
                heading="Logged out here only",
            )
    request.app.state.sessions.clear(response)
    return response


# -- email verification -------------------------------------------------------------------------
@router.get("/verify", summary="The page behind the verification link: a button (no change on GET)")
def verify_page(request: Request, token: str = Query("", **_TOKEN)):
    try:
        user = account_mail.inspect_token(_ctx(request), VERIFY, token)
    except TokenProblem as error:
        return _bad_link(request, error)
    return _page(request, "verify.html", "Verify your email", user=user, token=token, done=False)


@router.post("/verify", summary="Verify the address a verification link was sent to")
def verify(request: Request, token: str = Form("", **_TOKEN)):
    try:
        user = account_mail.verify_email(_ctx(request), token)
    except TokenProblem as error:
        return _bad_link(request, error)
    return _page(request, "verify.html", "Address verified", user=user, token="", done=True)


# -- password reset -----------------------------------------------------------------------------
_RESET_SENT = (
    "If an account uses {email}, a link to choose a new password is on its way. It works once, for "
    "{minutes} minutes. Nothing arrived? Look in the spam folder, or ask again in a few minutes."
)


@router.get("/password/forgot", summary="Ask for a password reset link")
def forgot_page(request: Request):
    return _page(request, "password_forgot.html", "Forgot your password?", email="", error=None, notice=None)


@router.post("/password/forgot", summary="Mail a password reset link (the same answer for every address)")
def forgot(request: Request, background: BackgroundTasks, email: str = Form("", max_length=1000)):
    ctx = _ctx(request)
    try:
        owed = account_mail.request_password_reset(ctx, email, ip=client_ip(request))
    except AccountError as error:
        return _page(request, "password_forgot.html", "Forgot your password?", status=400, email=email, error=str(error), notice=None)
    if owed is not None:
        after_response(background, account_mail.send_account_mail, ctx, owed)
    notice = _RESET_SENT.format(email=accounts.checked_email(email), minutes=ctx.settings.password_reset_minutes)
    return _page(request, "password_forgot.html", "Forgot your password?", email="", error=None, notice=notice)


@router.get("/password/reset", summary="The page behind a reset link: the new-password form")
def reset_page(request: Request, token: str = Query("", **_TOKEN)):
    try:
        user = account_mail.inspect_token(_ctx(request), RESET, token)
    except TokenProblem as error:
        return _bad_link(request, error)
    return _page(request, "password_reset.html", "Choose a new password", user=user, token=token, error=None)


@router.post("/password/reset", summary="Set a new password with a reset link's token")
def reset(
    request: Request,
    token: str = Form("", **_TOKEN),
    password: str = Form("", **_PASSWORD),
    password_again: str = Form("", **_PASSWORD),
):
    ctx = _ctx(request)
    try:
        if password != password_again:
            user = account_mail.inspect_token(ctx, RESET, token)
            return _page(request, "password_reset.html", "Choose a new password", status=400, user=user, token=token,
                         error="The two passwords differ; type the same one twice.")
        account_mail.reset_password(ctx, token, password)
    except TokenProblem as error:
        return _bad_link(request, error)
    except AccountError as error:
        user = account_mail.inspect_token(ctx, RESET, token)
        return _page(request, "password_reset.html", "Choose a new password", status=400, user=user, token=token, error=str(error))
    response = _redirect("/login?reset=1")
    request.app.state.sessions.clear(response)
    return response


# -- the account page ---------------------------------------------------------------------------
def _account_page(request: Request, member: Member, *, status: int = 200, notice=None, error=None, new_token=None):
    ctx = _ctx(request)
    user = accounts.get_member(ctx, member.id)
    return _page(
        request, "account.html", "Your account", status=status, user=user, tokens=accounts.list_api_tokens(ctx, member.id),
        notice=notice, error=error, new_token=new_token,
    )


_ACCOUNT_NOTICES = {
    "revoked": "The token is revoked: scripts using it now get 401.",
    "sent": "A new verification link is on its way.",
}


@router.get("/account", summary="Your account: verification, API tokens, password, sessions, deletion")
def account_page(
    request: Request, member: Member = Depends(require_member), revoked: bool = False, sent: bool = False
):
    shown = {"revoked": revoked, "sent": sent}
    notice = next((_ACCOUNT_NOTICES[name] for name, on in shown.items() if on), None)
    return _account_page(request, member, notice=notice)


@router.post("/account/verify-mail", summary="Send the verification link again")
def resend_verification(request: Request, background: BackgroundTasks, member: Member = Depends(require_member)):
    ctx = _ctx(request)
    owed = account_mail.resend_verification(ctx, member.id)
    if owed is not None:
        after_response(background, account_mail.send_account_mail, ctx, owed)
    return _redirect("/account?sent=1" if owed is not None else "/account")


@router.post("/account/password", summary="Change your password (other sessions end)")
def change_password(
    request: Request,
    member: Member = Depends(require_member),
    current_password: str = Form("", **_PASSWORD),
    new_password: str = Form("", **_PASSWORD),
    new_password_again: str = Form("", **_PASSWORD),
):
    if new_password != new_password_again:
        return _account_page(request, member, status=400, error="The two new passwords differ; type the same one twice.")
    try:
        user = accounts.change_password(_ctx(request), member.id, current_password, new_password)
    except AccountError as error:
        return _account_page(request, member, status=400, error=str(error))
    response = _account_page(request, member, notice="Your password is changed; your other devices are logged out.")
    request.app.state.sessions.set(response, user.id, user.session_version)  # this browser stays in
    return response


@router.post("/account/logout-everywhere", summary="End every session of your account")
def logout_everywhere(request: Request, member: Member = Depends(require_member)):
    accounts.log_out_everywhere(_ctx(request), member.id)
    response = _redirect("/login?ended=1")
    request.app.state.sessions.clear(response)
    return response


@router.post("/account/tokens", summary="Create a personal API token (shown once)")
def create_token(request: Request, member: Member = Depends(require_member), name: str = Form("", max_length=1000)):
    try:
        token = accounts.create_api_token(_ctx(request), member.id, name)
    except AccountError as error:
        return _account_page(request, member, status=400, error=str(error))
    return _account_page(request, member, new_token=token)


@router.post("/account/tokens/{token_id}/revoke", summary="Revoke one of your API tokens")
def revoke_token(request: Request, token_id: int, member: Member = Depends(require_member)):
    accounts.revoke_api_token(_ctx(request), member.id, token_id)  # someone else's id: nothing happens
    return _redirect("/account?revoked=1")


@router.post("/account/delete", summary="Delete your account and every personal datum")
def delete_account(request: Request, member: Member = Depends(require_member), password: str = Form("", **_PASSWORD)):
    try:
        accounts.delete_account(_ctx(request), member.id, password)
    except AccountError as error:
        return _account_page(request, member, status=400, error=str(error))
    request.state.member = None  # the header of this last page greets nobody
    response = _notice(request, "Account deleted", "Your account and everything personal in it are deleted. Goodbye!")
    request.app.state.sessions.clear(response)
    return response


# -- JSON ---------------------------------------------------------------------------------------
def member_json(member: Member) -> dict:
    return {
        "id": member.id,
        "username": member.username,
        "displayName": member.display_name,
        "role": member.role,
        "emailVerified": member.email_verified,
    }


@router.get("/api/me", response_class=JSONResponse, summary="The member a personal API token (or session) belongs to")
async def me(member: Member = Depends(api_member)) -> dict:
    return member_json(member)
