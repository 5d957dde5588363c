FROM python:3.11-slim
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
EXPOSE 8000
ENTRYPOINT ["diary-gateway"]
# `serve --config /etc/diary-gateway/gateway.toml` in production (mount the config);
# docker-compose.yml runs the demo instead.
CMD ["demo", "--host", "0.0.0.0", "--port", "8000"]
