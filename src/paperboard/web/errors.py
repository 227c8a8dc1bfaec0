"""Errors as a person (HTML) or a program (JSON under ``/api``) should see them: a 4xx with a
clear message for anything the client got wrong, never a bare 500."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperboard.adapters.store.database import ReadTimeout
from paperboard.errors import UserError, WritesUnavailable
from paperboard.services.ratelimit import RateLimited
from paperboard.web.auth import LoginRequired, current_member, login_path
from paperboard.web.rendering import page
from paperboard.web.security import CsrfRejected

log = logging.getLogger("paperboard.web")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz"))


def error_response(request: Request, status: int, message: str, *, heading: str | None = None, hint: str | None = None, detail=None):
    if wants_json(request):
        body = {"error": message}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status)
    return page(
        request,
        "error.html",
        title=heading or "Something is not right",
        canonical=request.url.path,
        status=status,
        cache=False,
        heading=heading or "Something is not right",
        message=message,
        hint=hint,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, error: CsrfRejected):
        return error_response(request, 403, str(error), heading="Form expired")

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, error: RateLimited):
        response = error_response(request, 429, str(error), heading="Slow down")
        response.headers["retry-after"] = str(error.retry_after_seconds)
        return response

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, error: LoginRequired):
        return RedirectResponse(login_path(error.next_path), status_code=303)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, error: UserError):
        return error_response(request, 400, str(error), heading="That request cannot be answered")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError):
        problems = "; ".join(_describe(e) for e in error.errors())
        if wants_json(request):
            detail = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in error.errors()]
            return error_response(request, 422, f"Invalid request: {problems}", detail=detail)
        return error_response(request, 400, f"Invalid request: {problems}", heading="That request cannot be answered")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        if error.status_code in (404, 405) and not wants_json(request):
            # Raised by the router before any route dependency ran: find the member for the header.
            with suppress(StarletteHTTPException):
                await current_member(request)
        if error.status_code == 404:
            message = error.detail if error.detail != "Not Found" else f"There is no page at {request.url.path}."
            return error_response(request, 404, message, heading="Not found")
        if error.status_code == 405:
            return error_response(request, 405, f"{request.method} is not allowed here.", heading="Method not allowed")
        response = error_response(request, error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "Something went wrong on our side; it has been logged.")

    @app.exception_handler(WritesUnavailable)
    async def _writes_unavailable(request: Request, error: WritesUnavailable):
        log.warning("write refused on %s %s: %s", request.method, request.url.path, error)
        response = error_response(request, 503, str(error), heading="Changes cannot be saved right now")
        response.headers["retry-after"] = str(error.retry_after_seconds)
        return response

    @app.exception_handler(ReadTimeout)
    async def _timeout(request: Request, error: ReadTimeout):
        log.warning("read timeout on %s: %s", request.url.path, error)
        return error_response(request, 503, "The database took too long to answer; please try again in a moment.")


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body"))
    return f"{where or 'request'}: {error.get('msg', 'invalid')}"


def after_response(background: BackgroundTasks, function: Callable, *args) -> None:
    """Run ``function(*args)`` once the response has gone, logging a failure instead of raising it:
    the visitor has had their answer, and an exception there would only cut the connection."""

    def run() -> None:
        try:
            function(*args)
        except Exception:  # logged: nobody is waiting for it any more
            log.exception("after the response to a request: %s failed", getattr(function, "__name__", function))

    background.add_task(run)
