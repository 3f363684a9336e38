"""EduData — education-data governance platform (教育数据治理平台)."""

__version__ = "0.1.0"
