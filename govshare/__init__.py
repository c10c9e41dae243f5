"""GovShare: government data sharing and exchange platform (政务数据共享交换平台)."""

__version__ = "0.1.0"
