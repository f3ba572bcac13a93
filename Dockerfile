# Keel's production image: one image, every process. The command picks the process:
# web (default), worker, paging, chat, beat (the Procfile's lines) or migrate; see
# deploy/entrypoint and docs/production.md.
#
#   docker build -t keel .
#   docker run --env-file .env keel migrate && docker run --env-file .env -p 8000:8000 keel web
#
# The base must be a Debian bookworm with Python 3.11 and its venv module; CI passes one it
# built itself with debootstrap (.ci/image-check), having no registry to pull from.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH
# Every requirement ships as a wheel, so no compiler is needed even here. One that must
# be compiled would add build-essential to this stage only: the final stage copies the
# virtualenv, not the tools that built it.
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-compile -r requirements.txt
COPY . .
# Static files are collected (and compressed, with their hashed names) once, here. Settings
# refuse to load without a SECRET_KEY when DEBUG is off; this one signs nothing and does
# not reach the final image.
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-time-signs-nothing-0123456789abcdefghij \
        python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q -j 0 /opt/venv /app

FROM ${BASE_IMAGE}
RUN useradd --user-group --uid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin keel
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# var/ is the one place Keel writes (beat's schedule); everything else stays root's.
RUN mkdir -p /app/var && chown keel:keel /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8000
WORKDIR /app
USER keel
EXPOSE 8000
# uvicorn and Celery both stop gracefully on SIGTERM: uvicorn finishes the requests under
# way and closes WebSockets (the page reconnects to another web container); a Celery
# worker finishes its tasks, and one killed anyway leaves them unacknowledged (acks_late),
# so Redis hands them to another worker.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/deploy/entrypoint", "healthcheck"]
ENTRYPOINT ["/app/deploy/entrypoint"]
CMD ["web"]
