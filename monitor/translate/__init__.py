"""Translation with argostranslate: its environment and models (argos.py, models.py), batched
translation across documents (engine.py), and the worker that translates pending documents in
Elasticsearch (worker.py)."""
