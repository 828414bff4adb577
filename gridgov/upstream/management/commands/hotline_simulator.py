"""The upstream hotline simulator for the demo (``gridgov/upstream/simulator.py``).

    manage.py hotline_simulator serve [--port 8765] [--gridgov-url http://127.0.0.1:8000]
    manage.py hotline_simulator push 5 [--url http://127.0.0.1:8000] [--source district]

``serve`` receives what GridGov sends up (``make run`` starts it from the Procfile) and closes
replied orders with a call-back; ``push N`` sends N new orders to a running GridGov. Both act
as the demo's upstream account (``upstream01``) with a token issued for the run.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.hotline.models import SourceSystem
from gridgov.people.services import token_issue
from gridgov.upstream import simulator

TOKEN_TTL_SECONDS = 24 * 60 * 60


def issue_token(username: str, purpose: str) -> str:
    """A bearer token for ``username`` (the upstream account), issued for this run."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}: load the demo first (manage.py load_demo).")
    _token, raw = token_issue(actor=None, user=user, name=purpose, ttl_seconds=TOKEN_TTL_SECONDS)
    return raw


class Command(BaseCommand):
    help = "Run the upstream hotline simulator, or push made-up orders to a running GridGov."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        serve = sub.add_parser("serve", help="Receive GridGov's messages; close replied orders with a call-back.")
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=simulator.DEFAULT_PORT)
        serve.add_argument("--gridgov-url", default="http://127.0.0.1:8000", help="Where GridGov runs.")
        serve.add_argument("--user", default="upstream01", help="The upstream account to act as.")
        serve.add_argument(
            "--close-after", type=float, default=20.0, help="Seconds between a reply and the call-back and closure."
        )
        serve.add_argument(
            "--satisfaction",
            default="satisfied",
            choices=["satisfied", "basically_satisfied", "dissatisfied"],
            help="What petitioners say on the call-back.",
        )
        push = sub.add_parser("push", help="Push N new orders to a running GridGov.")
        push.add_argument("count", type=int)
        push.add_argument("--url", default="http://127.0.0.1:8000", help="Where GridGov runs.")
        push.add_argument("--user", default="upstream01")
        push.add_argument("--source", default=SourceSystem.DISTRICT, choices=SourceSystem.values)
        push.add_argument("--town", default="", help="The handling town's area code (if upstream serves several).")
        push.add_argument("--seed", type=int, default=None, help="Make the same orders again.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "serve":
            self.serve(options)
        else:
            self.push(options)

    def serve(self, options: dict[str, Any]) -> None:
        secrets = {source: str(entry.get("secret") or "") for source, entry in settings.GRIDGOV_UPSTREAM.items()}
        if not any(secrets.values()):
            secrets = {"*": settings.GRIDGOV_UPSTREAM_DEV_SECRET}
        try:
            token = issue_token(options["user"], "hotline simulator")
        except CommandError as error:
            self.stderr.write(f"{error} The simulator only receives until then.")
            token = ""
        try:
            sim = simulator.HotlineSimulator(
                secrets=secrets,
                host=options["host"],
                port=options["port"],
                gridgov_url=options["gridgov_url"],
                token=token,
                close_after=options["close_after"],
                satisfaction=options["satisfaction"],
            )
        except OSError as error:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {error}") from error
        self.stdout.write(f"Hotline simulator listening on {sim.url} (GridGov at {options['gridgov_url']})")
        with contextlib.suppress(KeyboardInterrupt):
            sim.serve_forever()

    def push(self, options: dict[str, Any]) -> None:
        count = options["count"]
        if count < 1:
            raise CommandError("Push at least one order.")
        token = issue_token(options["user"], "hotline simulator push")
        sim_client = simulator.GridGovClient(gridgov_url=options["url"], token=token)
        rng = random.Random(options["seed"])  # noqa: S311  (made-up demo data)
        start = rng.randint(0, 90000)
        created = existing = 0
        for index in range(count):
            order = simulator.fake_order(
                rng, source_system=options["source"], sequence=start + index, town_code=options["town"]
            )
            try:
                outcome = sim_client.push_order(order)
            except OSError as error:
                raise CommandError(f"GridGov does not answer at {options['url']}: {error}") from error
            if outcome.status == 201:
                created += 1
            elif outcome.status == 200:
                existing += 1
            else:
                self.stderr.write(f"{order['upstream_number']}: HTTP {outcome.status} {outcome.body}")
                continue
            self.stdout.write(f"{order['upstream_number']} {order['title']}  HTTP {outcome.status}")
        self.stdout.write(self.style.SUCCESS(f"Pushed {count} orders: {created} new, {existing} already known."))
