"""Subcommands of the ``rvs`` CLI, one module each with ``add_arguments`` and ``run``."""
