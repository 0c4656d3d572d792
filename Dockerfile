# mentorbot: one image for the web server (default), the worker and migrations.
#   docker build -t mentorbot .
#   docker run --rm -e DATABASE_URL=postgresql://… mentorbot mentorbot db upgrade
#   docker run -d -p 3978:3978 -e DATABASE_URL=postgresql://… -e SLACK_SIGNING_SECRET=… mentorbot
# Settings come from the environment only (README, Configuration); nothing secret is baked in.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY adapters adapters
COPY conversations conversations
COPY storage storage
COPY bench bench
# Wheels for the project and everything it needs, so the final image carries no build tools.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 mentorbot
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels mentorbot && rm -rf /wheels
USER mentorbot
WORKDIR /home/mentorbot
ENV PYTHONUNBUFFERED=1 \
    PORT=3978 \
    LOG_FORMAT=json
EXPOSE 3978
# Liveness only: /readyz (database and migrations) is for the load balancer's health check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"]
# SIGTERM: stop taking requests, let acknowledged replies and in-flight sends finish, hand
# unsent claims back (README, Deploying). Give the container at least 30 s to stop.
STOPSIGNAL SIGTERM
CMD ["mentorbot", "serve"]
