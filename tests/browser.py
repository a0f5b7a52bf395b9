"""Helpers for browser tests (marked `browser`), shared by every page's test.

Import them as `from browser import axe_check` (pytest puts tests/ on the path, beside
conftest.py), then `assert axe_check(page) == []` once the page has loaded.
"""

SERIOUS = ("serious", "critical")


def axe_check(page, *, context=None, ignore: tuple[str, ...] = ()) -> list[str]:
    """Run axe-core (bundled with axe-playwright-python, so no network) on the page as it is
    now, and return its serious and critical violations as readable lines: "rule-id (impact):
    help: the first offending elements". An empty list is a pass. `ignore` names rule ids to
    leave out, each with a reason at the call site."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS and v["id"] not in ignore
    ]
