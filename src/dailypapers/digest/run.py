"""A digest run: compose, render and send one cadence's digests for a period, resumably.

Running the same command again is always safe: deliveries already sent (or being sent by
another process) are skipped through the outbox, so a crashed or interrupted run is
resumed by simply running it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from email.utils import make_msgid

from dailypapers.digest.compose import (
    Digest,
    InterestRanker,
    Period,
    Sizes,
    compose,
    load_candidates,
    period_for,
)
from dailypapers.digest.outbox import Outbox
from dailypapers.digest.render import (
    Links,
    Rendered,
    digest_message,
    render_digest,
)
from dailypapers.errors import InputError
from dailypapers.mail.messages import message_id_domain
from dailypapers.mail.smtp import (
    Mailer,
    MailerUnavailable,
    PermanentError,
    TransientError,
    UncertainError,
)
from dailypapers.runtime import Runtime
from dailypapers.signing import Signer, TokenClaims
from dailypapers.store import readers
from dailypapers.store import subscriptions as store
from dailypapers.store.subscriptions import Subscription

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunReport:
    """What a run did, by outcome; `composed` counts non-empty digests (dry runs too)."""

    subscribers: int = 0
    composed: int = 0
    empty: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    uncertain: int = 0
    paused: int = 0


@dataclass(frozen=True, slots=True)
class History:
    """What the run knows of each subscription's past, by subscription id."""

    sent: dict[int, set[int]]
    upvoted: dict[int, list[int]]
    readers: dict[int, int] = field(default_factory=dict)  # subscription → reader with a model


class DigestBuilder:
    """Builds the digests of one period: candidates loaded and interests searched once per
    run, links signed per subscriber."""

    def __init__(self, rt: Runtime, period: Period) -> None:
        self.rt = rt
        self.period = period
        self.ranker = InterestRanker(rt.searcher, period, load_candidates(rt.engine, period))
        self._signer = Signer.from_settings(rt.settings)
        s = rt.settings
        self._sizes = Sizes(top=s.digest_top_papers, personal=s.digest_personal_papers)

    @property
    def has_candidates(self) -> bool:
        """Whether anything was featured in the period."""
        return bool(self.ranker.candidates)

    def history(self, subs: list[Subscription]) -> History:
        """Per subscription, which of this period's papers earlier digests carried, and
        which papers the subscriber upvoted on the site."""
        with self.rt.engine.connect() as conn:
            ids = [c.paper.id for c in self.ranker.candidates]
            sub_ids = [s.id for s in subs]
            return History(
                store.sent_papers(conn, sub_ids, ids),
                store.upvoted_papers(conn, sub_ids),
                readers.readers_of_subscriptions(conn, sub_ids),
            )

    def build(self, sub: Subscription, history: History) -> Digest:
        """The subscriber's digest for this period; the personal section comes from the
        reader's model (the same as /for-you) when their account has one."""
        reader = history.readers.get(sub.id)
        order = None
        if reader is not None:
            ids = [c.paper.id for c in self.ranker.candidates]
            ranked = self.rt.recommender.rank(reader, ids, limit=len(ids))
            order = [r.paper.id for r in ranked]
        return compose(
            sub,
            self.ranker,
            already_sent=history.sent.get(sub.id, set()),
            upvoted=history.upvoted.get(sub.id, []),
            sizes=self._sizes,
            personal_order=order,
        )

    def links(self, sub: Subscription) -> Links:
        """Signed manage and unsubscribe links for the subscriber."""
        base = self.rt.settings.public_url
        claims = TokenClaims(sub.id, sub.token_version)
        return Links(
            base_url=base,
            manage_url=f"{base}/subscribe/manage/{self._signer.make('manage', claims)}",
            unsubscribe_url=f"{base}/unsubscribe/{self._signer.make('unsubscribe', claims)}",
        )

    def render(self, digest: Digest) -> Rendered:
        """The digest's subject, HTML and text."""
        return render_digest(digest, self.links(digest.subscription))

    def message(self, digest: Digest, message_id: str) -> Message:
        """The digest as an email under the given Message-ID."""
        sub = digest.subscription
        links = self.links(sub)
        return digest_message(
            render_digest(digest, links),
            to=sub.email,
            message_id=message_id,
            links=links,
            settings=self.rt.settings,
        )


def send_digests(
    rt: Runtime, cadence: str, day: date, *, only_email: str | None = None, dry_run: bool = False
) -> RunReport:
    """Send every active `cadence` subscriber their digest for the period ending on `day`."""
    builder = DigestBuilder(rt, period_for(cadence, day))
    with rt.engine.connect() as conn:
        subs = store.active_subscriptions(conn, cadence, email=only_email)
    report = RunReport(subscribers=len(subs))
    if not builder.has_candidates or not subs:
        report.empty = len(subs)
        return report
    outbox = Outbox(rt.engine, rt.settings)
    if not dry_run:
        outbox.recover()
    history = builder.history(subs)
    with Mailer(rt.settings) as mailer:
        for sub in subs:
            digest = builder.build(sub, history)
            if digest.is_empty:
                report.empty += 1
                continue
            report.composed += 1
            if dry_run:
                builder.render(digest)
                continue
            _send_one(builder, outbox, mailer, digest, report)
    return report


def _send_one(
    builder: DigestBuilder, outbox: Outbox, mailer: Mailer, digest: Digest, report: RunReport
) -> None:
    msgid = make_msgid(domain=message_id_domain(builder.rt.settings))
    claim = outbox.claim(digest.subscription.id, digest.period.key, msgid)
    if claim is None:
        report.skipped += 1
        return
    message = builder.message(digest, claim.message_id)
    try:
        mailer.send(message, before_data=lambda: outbox.data_started(claim))
    except TransientError as exc:
        outbox.retry_later(claim, str(exc))
        report.deferred += 1
        return
    except PermanentError as exc:
        report.failed += 1
        report.paused += outbox.failed(claim, str(exc), permanent=True)
        return
    except UncertainError as exc:
        outbox.failed(claim, str(exc), permanent=False)
        report.uncertain += 1
        return
    except MailerUnavailable as exc:
        outbox.retry_later(claim, str(exc))
        raise MailerUnavailable(f"{exc}; {report.sent} sent, run again to resume") from None
    outbox.sent(claim, [p.id for p in digest.papers])
    report.sent += 1


def preview(rt: Runtime, email: str, day: date) -> tuple[Digest, Rendered]:
    """The digest a subscriber would get for the period ending on `day` (nothing is sent)."""
    with rt.engine.connect() as conn:
        sub = store.find_by_email(conn, email.strip().lower())
    if sub is None:
        raise InputError("no subscription for that address")
    builder = DigestBuilder(rt, period_for(sub.interests.cadence, day))
    digest = builder.build(sub, builder.history([sub]))
    return digest, builder.render(digest)
