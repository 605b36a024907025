"""Admin pages: the sync sources with their last and next runs, recent runs, job leases;
the confirmation mails waiting in the outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from dailypapers.services import leases, subscriptions, sync
from dailypapers.store.schema import utcnow
from dailypapers.store.users import User
from dailypapers.web.deps import SignedIn, csrf_protect, get_runtime, render

# HTML pages, not part of the API; every state-changing request needs the CSRF token.
router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def admin_user(user: SignedIn) -> User:
    """A signed-in admin; others get 403."""
    if user.role != "admin":
        raise HTTPException(403, "Only admins can see this page.")
    return user


Admin = Annotated[User, Depends(admin_user)]


@router.get("/admin/sync")
def sync_page(request: Request, user: Admin) -> Response:
    """What keeps this instance current: sources, their runs, and which node runs each job."""
    rt = get_runtime(request)
    return render(
        request,
        "admin_sync.html",
        sources=sync.status(rt),
        runs=sync.recent_runs(rt, 30),
        leases=leases.current_leases(rt.engine),
        now=utcnow(),
    )


@router.get("/admin/outbox")
def outbox_page(request: Request, user: Admin) -> Response:
    """Confirmation mails waiting for SMTP to work (sent by `serve` once it does)."""
    rt = get_runtime(request)
    return render(request, "admin_outbox.html", waiting=subscriptions.waiting_confirmations(rt))


@router.post("/admin/outbox/send")
def outbox_send(request: Request, user: Admin) -> Response:
    """Try the waiting confirmations now; the page says how many went out."""
    rt = get_runtime(request)
    sent, left = subscriptions.send_waiting_confirmations(rt)
    return render(
        request,
        "admin_outbox.html",
        waiting=subscriptions.waiting_confirmations(rt),
        message=f"Sent {sent}; {left} still waiting.",
    )
