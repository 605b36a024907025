"""Routes behind the links in subscription emails: confirm, manage, unsubscribe.

Every route is authorised by the signed token in its URL, which only the mailbox owner
has; so these forms need no CSRF token, and the RFC 8058 one-click POST from a mail
client (body `List-Unsubscribe=One-Click`, no cookies) works as is. A bad or expired
token is an InputError, shown by the app's error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dailypapers.errors import InputError
from dailypapers.services import subscriptions as service
from dailypapers.signing import InvalidToken
from dailypapers.web.deps import form_list, get_runtime, render

# Pages reached from emails, not an API. No CSRF token: each POST is authorised by the signed,
# expiring token in its address, which another site cannot know, and a mail client's RFC 8058
# one-click unsubscribe cannot send one.
router = APIRouter(include_in_schema=False)


@router.get("/subscribe/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    """Follow the confirmation link: the subscription becomes active."""
    sub = service.confirm(get_runtime(request), token)
    return render(request, "subscriptions/confirmed.html", subscription=sub)


@router.get("/subscribe/manage/{token}", response_class=HTMLResponse)
def manage_form(request: Request, token: str) -> HTMLResponse:
    """The form to change cadence and interests."""
    sub = service.manage(get_runtime(request), token)
    return render(request, "subscriptions/manage.html", interests=sub.interests, token=token)


@router.post("/subscribe/manage/{token}", response_class=HTMLResponse)
def manage_save(
    request: Request,
    token: str,
    cadence: Annotated[str, Form()] = "daily",
    topics: Annotated[str, Form()] = "",
    authors: Annotated[str, Form()] = "",
    categories: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Save the manage form; invalid input shows the form again with the problem."""
    lists = (form_list(topics), form_list(authors), form_list(categories))
    wanted = service.Interests(cadence, *lists)
    try:
        sub = service.update_interests(get_runtime(request), token, wanted)
    except InvalidToken:
        raise
    except InputError as exc:
        return render(
            request,
            "subscriptions/manage.html",
            status_code=422,
            interests=wanted,
            token=token,
            error=str(exc),
        )
    return render(
        request, "subscriptions/manage.html", interests=sub.interests, token=token, saved=True
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: str) -> HTMLResponse:
    """A page with one button: a GET never unsubscribes, since link scanners follow GETs."""
    service.subscription_for(get_runtime(request), "unsubscribe", token)
    return render(request, "subscriptions/unsubscribe.html", token=token)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    """Unsubscribe at once: the page's button, or a mail client's RFC 8058 one-click POST."""
    service.unsubscribe(get_runtime(request), token)
    return render(request, "subscriptions/unsubscribed.html")
