"""The AI-audit metrics, pure functions over plain data (no ORM, no I/O), by what they measure:

- `feedback.metrics.detection`: the model's boxes against the human ones (matching, precision,
  recall, F1, AP@0.5);
- `feedback.metrics.work`: what people did with the model's boxes and how long it took (decision
  rates, correction IoU, ratings, active time and effort).
"""
