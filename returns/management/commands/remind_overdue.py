"""E-mail each council lead whose return is overdue: not submitted or published after the due
date, on the application's clock (`indicators.clock`).

    manage.py remind_overdue                 # the period being collected
    manage.py remind_overdue --period "2025-26 Q3"
    manage.py remind_overdue --dry-run       # say who would be e-mailed, send nothing
"""

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError

from indicators import clock
from indicators.models import due_date, period_being_collected
from indicators.periods import format_period, parse_period
from returns.models import HANDED_IN, Membership, Return, Role
from returns.workflow import link


class Command(BaseCommand):
    help = "E-mail the leads of councils whose return for the period is overdue."

    def add_arguments(self, parser):
        parser.add_argument("--period", help='A period label, like "2025-26 Q3".')
        parser.add_argument("--dry-run", action="store_true", help="Send nothing.")

    def handle(self, *args, period=None, dry_run=False, **options):
        if period:
            try:
                period = parse_period(period)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        else:
            period = period_being_collected()
            if period is None:
                raise CommandError("Nothing is being collected: give --period.")
        label = format_period(*period)
        due = due_date(period)
        today = clock.today()
        if due is None or today <= due:
            self.stdout.write(f"Returns for {label} are not overdue (due {due:%d %B %Y}).")
            return
        done = set(
            Return.objects.filter(
                period__year=period[0], period__quarter=period[1], state__in=HANDED_IN
            ).values_list("council_id", flat=True)
        )
        leads = (
            Membership.objects.filter(role=Role.COUNCIL_LEAD, user__is_active=True)
            .exclude(user__email="")
            .select_related("user")
            .prefetch_related("councils")
        )
        sent = 0
        for membership in leads:
            overdue = [c for c in membership.councils.all() if c.pk not in done]
            if not overdue:
                continue
            user = membership.user
            overdue.sort(key=lambda c: c.name)
            names = ", ".join(c.name for c in overdue)
            subject = f"Overdue: the {label} return for {names}"
            body = (
                f"Dear {user.get_full_name() or user.get_username()},\n\n"
                f"The West Midlands ADASS balanced scorecard return for {label} was due on "
                f"{due.day} {due:%B %Y} and has not been submitted for: {names}.\n\n"
                "Please enter and submit it as soon as you can:\n"
                + "".join(f"\n{c.name}: {link(c, label)}" for c in overdue)
                + "\n"
            )
            if not dry_run:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            sent += 1
            verb = "Would e-mail" if dry_run else "E-mailed"
            self.stdout.write(f"{verb} {user.get_username()} <{user.email}>: {names}")
        self.stdout.write(f"{sent} lead{'s' if sent != 1 else ''} reminded about {label}.")
