"""Failed sign-ins in the database (issue 6): every process counts the same rows, so the
login throttle holds however many servers run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select

from prorata.adapters.db.notify import utc
from prorata.adapters.db.schema import login_failures
from prorata.adapters.db.session import Session


class LoginFailures(Session):
    """Methods of the `UnitOfWork` port (services/ports.py) for login throttling."""

    def add_login_failure(self, failure_id: str, email: str, client: str,
                          at: datetime) -> None:
        self.connection.execute(insert(login_failures).values(
            id=failure_id, email=email, client=client, created_at=at))

    def login_failures_since(self, email: str | None, client: str | None, since: datetime,
                             newest: int) -> tuple[int, list[datetime]]:
        """(how many failures of this e-mail and/or client since `since`, the times of the
        `newest` latest of them, newest first)."""
        where = [login_failures.c.created_at >= since]
        if email is not None:
            where.append(login_failures.c.email == email)
        if client is not None:
            where.append(login_failures.c.client == client)
        count = self.connection.execute(
            select(func.count()).select_from(login_failures).where(*where)).scalar_one()
        times = self.connection.execute(
            select(login_failures.c.created_at).where(*where)
            .order_by(login_failures.c.created_at.desc()).limit(newest)).scalars().all()
        return int(count), [t for t in (utc(x) for x in times) if t is not None]
