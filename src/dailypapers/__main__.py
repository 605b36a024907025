"""`python -m dailypapers` runs the CLI."""

from dailypapers.cli.main import main

main()
