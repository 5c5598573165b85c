"""`python -m scriptio.cli ...`: the command line without an installed entry point (GPU machines)."""
from scriptio.cli import main

main()
