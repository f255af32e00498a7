FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY daemon ./daemon
RUN pip install ".[postgres]"

COPY config.toml ./config.toml
COPY watchlists ./watchlists

RUN useradd --system --uid 10001 --no-create-home --home-dir /app raqib \
    && mkdir -p /data && chown raqib:raqib /data

# State (raqib.db) lives in /data; mount a volume there. To use your own config, mount
# a directory holding config.toml and its watchlists/ and point RAQIB_CONFIG at it,
# e.g. -v ./myconf:/config -e RAQIB_CONFIG=/config/config.toml
ENV RAQIB_CONFIG=/app/config.toml \
    RAQIB_DATA_DIR=/data
VOLUME ["/data"]
USER raqib

# The daemon writes a heartbeat every 10 s; `raqib health` fails when it has not for 60 s
# (or the database does not answer).
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 CMD ["raqib", "health"]

# SIGTERM stops the daemon cleanly within about 10 s (docker stop's default grace).
STOPSIGNAL SIGTERM
ENTRYPOINT ["raqib"]
CMD ["run"]
