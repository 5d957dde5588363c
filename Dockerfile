# Two images from one file: `gateway` (the production image: the gateway's distribution
# only, no simulator code) and `demo` (the default target: the gateway plus the simulators,
# emulators/ = diary-gateway-demo, for `demo` and `emulate SLUG`).
FROM python:3.11-slim AS gateway
WORKDIR /app
# The locked runtime dependencies first (hash-checked; a layer kept while only the code
# changes), then the project itself without resolving anything again.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY adapters ./adapters
COPY schema ./schema
RUN pip install --no-cache-dir --no-deps . && pip check
# Run as an unprivileged user; its state (dev issuer key, secret key) lives on a volume.
RUN useradd --system --uid 10001 --home-dir /var/lib/diary-gateway --create-home gateway \
    && mkdir -p /etc/diary-gateway
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
ENTRYPOINT ["diary-gateway"]
# docker-compose.yml runs `serve --config /etc/diary-gateway/gateway.toml` (deploy/gateway.toml)
CMD ["serve", "--config", "/etc/diary-gateway/gateway.toml"]

# The demo image: the simulators beside the gateway (their dependencies are the gateway's,
# installed above from the lock). Without arguments it runs the self-contained demo.
FROM gateway AS demo
USER root
COPY emulators ./emulators
RUN pip install --no-cache-dir --no-deps ./emulators && pip check
USER gateway
CMD ["demo", "--host", "0.0.0.0", "--port", "8000"]
