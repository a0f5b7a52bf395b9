"""plotly.js is vendored as static/vendor/plotly-cartesian.min.js: the official cartesian partial
bundle (bar, box and scatter among its traces), of the plotly.js version that the plotly Python
package used by tests/test_charts.py ships, with its licence. Production collects, hashes and
compresses it, and WhiteNoise serves it gzipped and cacheable for ever."""

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
BUNDLE = VENDOR / "plotly-cartesian.min.js"
STATIC_PATH = "vendor/plotly-cartesian.min.js"
PACKAGED = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
VERSION = re.compile(rb"^/\*\*\s*\* plotly\.js (\(cartesian - minified\) )?v(\d+\.\d+\.\d+)\s")


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


def _header(path: Path) -> re.Match:
    match = VERSION.match(path.read_bytes()[:200])
    assert match, f"{path} does not start with a plotly.js version header"
    return match


def test_chart_pages_load_the_vendored_cartesian_bundle_and_not_the_full_plotly_js():
    scripts = render_to_string("includes/chart_scripts.html")

    assert f'src="/static/{STATIC_PATH}"' in scripts
    assert "plotly.min.js" not in scripts
    assert scripts.index(STATIC_PATH) < scripts.index("js/charts.js")


def test_the_bundle_is_the_cartesian_one_of_the_plotly_js_version_the_plotly_package_ships():
    bundle, packaged = _header(BUNDLE), _header(PACKAGED)

    assert bundle.group(1), "the vendored file is not the cartesian partial bundle"
    assert bundle.group(2) == packaged.group(2)


def test_the_bundle_is_under_600_kb_gzipped_and_a_third_of_the_full_plotly_js():
    raw = BUNDLE.read_bytes()
    gzipped = len(gzip.compress(raw, compresslevel=9))

    assert gzipped < 600_000
    assert len(raw) < PACKAGED.stat().st_size / 3


def test_the_bundles_mit_licence_is_vendored_beside_it():
    licence = (VENDOR / "plotly-LICENSE.txt").read_text()

    assert licence.startswith("MIT License")
    assert "Plotly" in licence and "Permission is hereby granted, free of charge" in licence


def test_the_vendor_readme_names_the_package_version_checksum_and_refresh_command():
    readme = (VENDOR / "README.md").read_text()
    version = _header(BUNDLE).group(2).decode()

    assert f"`plotly.js-cartesian-dist-min`, version **{version}**" in readme
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() in readme
    assert "npm pack plotly.js-cartesian-dist-min@X.Y.Z" in readme


def test_the_static_finders_find_the_bundle_in_static_and_no_full_plotly_js():
    assert Path(finders.find(STATIC_PATH)) == BUNDLE
    assert finders.find("vendor/plotly.min.js") is None


SERVE = """
from django.test import Client
response = Client().get("{url}", HTTP_ACCEPT_ENCODING="gzip")
print(response.status_code, response.get("Content-Encoding", ""), response.get("Cache-Control", ""))
"""


def test_runserver_and_whitenoise_serve_it_in_development():
    result = _run(SERVE.format(url=f"/static/{STATIC_PATH}"), DEBUG="1")

    assert result.stdout.split()[0] == "200"


def test_collectstatic_hashes_and_compresses_it_and_whitenoise_serves_it_gzipped_for_ever(
    tmp_path,
):
    static_root = tmp_path / "static"
    _run(
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)",
        DEBUG="0",
        STATIC_ROOT=str(static_root),
    )

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest[STATIC_PATH]
    assert hashed.startswith("vendor/plotly-cartesian.min.") and hashed != STATIC_PATH
    assert (static_root / hashed).read_bytes() == BUNDLE.read_bytes()
    compressed = static_root / f"{hashed}.gz"
    assert gzip.decompress(compressed.read_bytes()) == BUNDLE.read_bytes()
    assert compressed.stat().st_size < 600_000
    assert not list(static_root.glob("vendor/plotly.min*"))
    assert {"css/scorecard.css", "js/charts.js", "js/print.js"} <= set(manifest)

    served = _run(SERVE.format(url=f"/static/{hashed}"), DEBUG="0", STATIC_ROOT=str(static_root))
    status, encoding, cache_control = served.stdout.split(maxsplit=2)
    assert (status, encoding) == ("200", "gzip")
    assert "immutable" in cache_control and "max-age=315360000" in cache_control
