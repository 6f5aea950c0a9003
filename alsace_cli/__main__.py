"""`python -m alsace_cli`, which is also what `accelerate launch -m alsace_cli ...` runs."""

from alsace_cli.cli.app import main

if __name__ == "__main__":
    main()
