"""Admin pages: the sync sources with their last and next runs, recent runs, job leases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from dailypapers.services import leases, sync
from dailypapers.store.schema import utcnow
from dailypapers.store.users import User
from dailypapers.web.deps import SignedIn, get_runtime, render

router = APIRouter()


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
