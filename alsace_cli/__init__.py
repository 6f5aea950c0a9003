"""alsace: teacher language selection and cross-lingual self-distillation for multilingual models."""

__version__ = "0.1.0"
