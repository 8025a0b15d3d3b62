"""Onboarding a partner: ``salesfmt init`` drafts a rule file from a partner file,
``salesfmt rules suggest`` drafts a patch from a check's header and value problems."""

from salesfmt.onboard.draft import Draft, draft_rules
from salesfmt.onboard.render import render

__all__ = ["Draft", "draft_rules", "render", "init_text"]


def init_text(path: str, target: str, *, name: str | None = None) -> str:
    """The commented rule file ``salesfmt init`` writes for ``path`` and ``target``."""
    return render(draft_rules(path, target, name=name))
