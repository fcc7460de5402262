"""MLflow plumbing, a leaf app: the outbox of runs waiting to be sent and the client that sends
them. It knows no domain model; each app builds its own runs' payloads and enqueues them here."""
