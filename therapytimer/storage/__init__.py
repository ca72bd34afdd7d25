"""The SQLite layer (sqlite-utils): opening and migrating the file, and the repository of sessions."""
