# news-monitor for docker-compose.yml (not built or run in CI: no Docker engine there).
FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -e . && useradd --create-home monitor
USER monitor
ENV MONITOR_HOME=/home/monitor/var
ENTRYPOINT ["monitor"]
CMD ["--help"]
