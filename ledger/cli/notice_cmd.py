"""``ledger notice``: the printable notice an employee receives (处分通知书 / 奖励通知)."""

from __future__ import annotations

from typing import cast

import click

from ledger.audit.wording import Lang
from ledger.cli import LedgerContext, find_sanction, handles_errors
from ledger.notice import NoticeFormat, notice

__all__ = ["register"]


@click.command(name="notice")
@click.argument("sanction_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "markdown"]),
    default="text",
    show_default=True,
    help="html prints on A4 and embeds nothing external.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language."
)
@click.pass_obj
@handles_errors
def notice_cmd(state: LedgerContext, sanction_id: str, fmt: str, lang: str) -> None:
    """Print the notice for the employee: 处分通知书 for a sanction, 奖励通知 for a reward.

    What happened and when, the rule with the regulation's title and clause, the
    consequence, the fine and how it is deducted under the legal cap, how long it stays on
    record, and how to appeal (申诉: to whom, by when, how, from the rulebook's [appeals]).
    SANCTION_ID may be the full id or a unique prefix (as shown by `ledger sanctions`).

    \b
    Examples:
      ledger notice 85c72d09
      ledger notice 85c72d09 --format html > notice.html
      ledger notice 85c72d09 --lang en --format markdown
    """
    ledger = state.open()
    rendered = notice(ledger, find_sanction(ledger, sanction_id)).render(
        cast(NoticeFormat, fmt), cast(Lang, lang)
    )
    click.echo(rendered, nl=False)


def register(group: click.Group) -> None:
    """Add ``notice`` to ``group``."""
    group.add_command(notice_cmd)
