"""aegis: scan code with HuggingFace models and fine-tune them, with true telemetry."""

__version__ = "0.1.0"
