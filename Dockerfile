# One image for web, worker and the MLflow server; the same commands as the Makefile.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends git libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

RUN useradd --create-home hitl && mkdir -p /app/var && chown -R hitl /app/var
USER hitl
EXPOSE 8000
# Listening beyond loopback: settings then refuse debug's implicit localhost names (DJANGO_ALLOWED_HOSTS needed).
ENV HITL_BIND_HOST=0.0.0.0
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "hitl_project.asgi:application"]
