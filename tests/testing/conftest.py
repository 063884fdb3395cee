"""The plugin's own tests run pytest inside pytest (``pytester``), enabled only here."""

pytest_plugins = ["pytester"]
