"""The data layer: typed functions that read and change the database, used by the CLI and the views."""
