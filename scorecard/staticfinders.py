"""Serve the plotly.js that ships inside the installed plotly package as `vendor/plotly.min.js`.

The browser then always runs the plotly.js that the Python figures were built for, git holds no
4.8 MB copy, and pages need no CDN. runserver and WhiteNoise (DEBUG) find it through this
finder; `collectstatic` copies it into STATIC_ROOT, where the manifest storage hashes and
compresses it like any other static file.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles import utils
from django.contrib.staticfiles.finders import BaseFinder, searched_locations
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor"
FILE_NAME = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{FILE_NAME}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=Path(plotly.__file__).parent / "package_data")
        # collectstatic and WhiteNoise put a storage's files under its prefix.
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        if self.storage.exists(FILE_NAME):
            return []
        return [
            Error(
                f"The installed plotly package has no {FILE_NAME} in {self.storage.location}.",
                hint="Reinstall plotly: make install",
                id="scorecard.E001",
            )
        ]

    def find(self, path, find_all=False):
        if self.storage.location not in searched_locations:
            searched_locations.append(self.storage.location)
        if path != STATIC_PATH or not self.storage.exists(FILE_NAME):
            return []  # as Django's finders: an empty list, whatever find_all says
        found = self.storage.path(FILE_NAME)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        if self.storage.exists(FILE_NAME) and not utils.matches_patterns(
            FILE_NAME, ignore_patterns or ()
        ):
            yield FILE_NAME, self.storage
