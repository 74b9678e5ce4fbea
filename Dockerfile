# otswatch daemon image: `docker compose up` runs it against PostgreSQL (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY crawler ./crawler
COPY alerts ./alerts
COPY otswatch ./otswatch
RUN pip install ".[postgres,scale-out]" \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin otswatch \
 && mkdir -p /data && chown otswatch:otswatch /data
COPY config ./config
# Everything the daemon writes (SQLite database, Scrapy's HTTP cache, console digests) goes to
# /data, so the image runs with a read-only root: `docker run --read-only -v otswatch:/data`.
ENV OTSWATCH_CONFIG_DIR=/app/config OTSWATCH_DATA_DIR=/data OTSWATCH_HTTP_ADDR=0.0.0.0:8480
VOLUME ["/data"]
WORKDIR /data
USER otswatch
EXPOSE 8480
HEALTHCHECK --interval=60s --timeout=5s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8480/health', timeout=4)"
ENTRYPOINT ["otswatch"]
CMD ["run"]
