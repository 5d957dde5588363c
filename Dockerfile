FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY adapters ./adapters
COPY schema ./schema
RUN pip install --no-cache-dir .
EXPOSE 8000
ENTRYPOINT ["diary-gateway"]
CMD ["serve", "--config", "/etc/diary-gateway/gateway.toml"]
