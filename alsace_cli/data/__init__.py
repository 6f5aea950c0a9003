"""Importers that turn the files researchers have into alsace's long-format Parquet datasets."""
