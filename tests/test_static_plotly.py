"""plotly.js is served from the installed plotly package as vendor/plotly.min.js: found by our
finder in development, collected, hashed and compressed for production, never kept in git."""

import json
import os
import subprocess
import sys
from pathlib import Path

import plotly
from django.contrib.staticfiles import finders

from scorecard.staticfinders import PlotlyFinder

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "scorecard.settings",
        "ALLOWED_HOSTS": "testserver",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_finder_finds_the_plotly_js_the_plotly_package_ships():
    found = finders.find("vendor/plotly.min.js")

    assert Path(found) == PACKAGED
    assert finders.find("vendor/plotly.min.js", find_all=True) == [str(PACKAGED)]
    assert finders.find("vendor/other.js") is None


def test_the_finder_lists_the_file_under_the_vendor_prefix():
    finder = PlotlyFinder()

    (path, storage), *rest = finder.list(None)

    assert (path, storage.prefix, rest) == ("plotly.min.js", "vendor", [])
    assert list(finder.list(["*.js"])) == []
    assert finder.check() == []


def test_plotly_js_is_not_kept_in_the_repository():
    assert not (ROOT / "static" / "vendor" / "plotly.min.js").exists()


SERVE = """
from django.test import Client
response = Client().get("{url}", HTTP_ACCEPT_ENCODING="gzip")
print(response.status_code, response.get("Content-Encoding", ""), response.get("Cache-Control", ""))
"""


def test_runserver_and_whitenoise_serve_it_in_development():
    result = _run(SERVE.format(url="/static/vendor/plotly.min.js"), DEBUG="1")

    assert result.stdout.split()[0] == "200"


def test_collectstatic_hashes_and_compresses_it_for_whitenoise(tmp_path):
    static_root = tmp_path / "static"
    _run(
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)",
        DEBUG="0",
        STATIC_ROOT=str(static_root),
    )

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["vendor/plotly.min.js"]
    assert hashed.startswith("vendor/plotly.min.") and hashed != "vendor/plotly.min.js"
    assert (static_root / hashed).read_bytes() == PACKAGED.read_bytes()
    compressed = [static_root / f"{hashed}.{suffix}" for suffix in ("gz", "br")]
    assert any(path.exists() for path in compressed)
    assert {"css/scorecard.css", "js/charts.js", "js/print.js"} <= set(manifest)

    served = _run(SERVE.format(url=f"/static/{hashed}"), DEBUG="0", STATIC_ROOT=str(static_root))
    status, encoding, cache_control = served.stdout.split(maxsplit=2)
    assert (status, encoding) == ("200", "gzip")
    assert "immutable" in cache_control and "max-age=315360000" in cache_control
