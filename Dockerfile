# syntax=docker/dockerfile:1
#
#   docker build -t newsbot .
#   docker run -it -v newsbot-data:/data newsbot                    # the demo, chat in the terminal
# The terminal chat stops at end of input, so run it with -it (an interactive terminal).
#   docker run -it -v newsbot-data:/data -v "$PWD/newsbot.toml:/etc/newsbot/newsbot.toml:ro" \
#       -e NEWSBOT_CONFIG=/etc/newsbot/newsbot.toml -e NEWSBOT_TELEGRAM_TOKEN newsbot
#
# Secrets go in as environment variables only (see config/newsbot.example.toml), never in the image.

# --- builder: build the wheel and install it with its dependencies into a venv -------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A C compiler for the matcher's optional speed-ups (bot/match/speedups_c/): without one the
# wheel builds without them and the bot runs its slower pure-Python twins.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# The dependencies first, in a layer of their own: it is rebuilt only when pyproject.toml changes,
# not at every change of the source.
COPY pyproject.toml ./
# The venv lives at the same path in both stages: its scripts' shebangs point into it.
RUN python -m venv /opt/venv \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY setup.py MANIFEST.in README.md ./
COPY bot ./bot
# The bot itself, with no dependencies to fetch; and the build fails here if the matcher's C
# speed-ups did not compile (without them the bot works, several times slower at scale).
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps /wheels/*.whl \
    && cd / && /opt/venv/bin/python -c "import bot.match._speedups"

# --- runtime: the venv only, no build tools, no sources ----------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWSBOT_DATA_DIR=/data

# A fixed uid/gid so a bind-mounted /data can be chowned to match on the host.
RUN groupadd --system --gid 10001 newsbot \
    && useradd --system --uid 10001 --gid newsbot --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin newsbot \
    && mkdir -p /data /etc/newsbot \
    && chown newsbot:newsbot /data

COPY --from=builder /opt/venv /opt/venv
COPY config/newsbot.example.toml /etc/newsbot/newsbot.example.toml

# Numeric, so that Kubernetes' runAsNonRoot can check it and a bind-mounted /data can be chowned
# to match on the host: chown 10001:10001 ./data
USER 10001:10001
WORKDIR /data
# Telegram's webhook listener (webhook mode only), Slack's HTTP mode (not Socket Mode) and the
# WebSub callback server (only with [websub] public_url).
EXPOSE 8443 3000 8470
# Declared after the chown: a new named volume is created with the image's ownership of /data.
VOLUME ["/data"]

# `newsbot health` asks the ops server's /healthz (event loop and delivery worker) when it is on
# (NEWSBOT_OPS_PORT, or [ops] port); otherwise it checks the heartbeat file the running bot touches
# in $NEWSBOT_DATA_DIR every 15 s, and fails when it is older than 90 s (or missing).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["newsbot", "health"]

ENTRYPOINT ["newsbot"]
CMD ["run"]
