"""dailypapers: a self-hostable hub for discovering research papers."""

__version__ = "0.1.0"
