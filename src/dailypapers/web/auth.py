"""Sign-up, sign-in and sign-out; the session keeps only the user id and the CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dailypapers.errors import InputError
from dailypapers.services import accounts
from dailypapers.store.users import User
from dailypapers.web.deps import CurrentUser, Engine, csrf_protect, rate_limit, render
from dailypapers.web.pages import safe_next

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
NextField = Annotated[str | None, Form()]


def _start_session(request: Request, user: User, next_path: str | None) -> Response:
    """Sign in: a fresh session (new CSRF token) so a pre-login session cannot be reused."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sv"] = user.session_version
    return RedirectResponse(safe_next(next_path), status_code=303)


@router.get("/signup")
def signup_form(request: Request, next: str | None = None) -> Response:
    """The sign-up form."""
    return render(request, "signup.html", next=safe_next(next), values={})


@router.post("/signup", dependencies=[Depends(rate_limit("auth"))])
def signup(
    request: Request,
    engine: Engine,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    email: Annotated[str, Form()] = "",
    next: NextField = None,
) -> Response:
    """Create a member account and sign it in."""
    try:
        user = accounts.create_account(engine, username, email=email or None, password=password)
    except InputError as exc:
        values = {"username": username, "email": email}
        return render(request, "signup.html", status_code=400, error=str(exc), values=values,
                      next=safe_next(next))  # fmt: skip
    return _start_session(request, user, next)


@router.get("/signin")
def signin_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "signin.html", next=safe_next(next), login="")


@router.post("/signin", dependencies=[Depends(rate_limit("auth"))])
def signin(
    request: Request,
    engine: Engine,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: NextField = None,
) -> Response:
    """Check the password and start a session."""
    user = accounts.authenticate(engine, login, password)
    if user is None:
        error = "Wrong username/email or password."
        return render(request, "signin.html", status_code=400, error=error, login=login,
                      next=safe_next(next))  # fmt: skip
    return _start_session(request, user, next)


@router.post("/signout")
def signout(request: Request, engine: Engine, user: CurrentUser) -> Response:
    """End the session on the server too: a copy of the cookie (taken from this browser
    before signing out) stops working, as do the user's other sessions."""
    if user is not None:
        accounts.end_sessions(engine, user.id)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
