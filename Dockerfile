# One image for every promptloop service (migrate, flows, console, api); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md constraints.txt ./
COPY core ./core
COPY flows ./flows
COPY console ./console
COPY api ./api
COPY sql ./sql
RUN pip install -c constraints.txt . && useradd --create-home promptloop
USER promptloop

# Overridden per service in docker-compose.yml.
CMD ["promptloop", "--help"]
