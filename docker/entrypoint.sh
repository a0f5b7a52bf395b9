#!/bin/sh
# Bring the database up to date, then run the container's command (gunicorn by default).
# LOAD_ASCOF=1 also imports the ASCOF files shipped in data/ascof/; the import is safe to repeat.
set -eu

python manage.py migrate --noinput
python manage.py load_reference

if [ "${LOAD_ASCOF:-0}" = "1" ]; then
    python manage.py import_ascof \
        data/ascof/ascof_timeseries_2015-16_to_2024-25_official.ods \
        data/ascof/ascof_outcomes_total_2017-18_to_2023-24.csv.gz \
        data/ascof/ascof_2020-21_official_open_data.csv.gz \
        data/ascof/ascof_2022-23_regions_num_den.csv
fi

exec "$@"
