FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

RUN useradd --create-home --uid 1000 scorecard
WORKDIR /app
RUN chown scorecard:scorecard /app

# Dependencies first, so a code change doesn't reinstall them. The project declares no
# packages of its own: installing it installs its dependencies and runs from /app.
COPY pyproject.toml /tmp/project/
RUN pip install /tmp/project && rm -rf /tmp/project

COPY --chown=scorecard:scorecard . .
RUN chmod 0755 docker/entrypoint.sh

USER scorecard
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "scorecard.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
