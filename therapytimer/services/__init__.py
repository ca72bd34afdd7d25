"""The use cases both faces call: every flow (start, close, export, restore, ...) written once.

The window and the command line build a `Context` (`context.build_context`), open a `Workspace` on it
and call its `timers` and `records`; neither face imports the storage layer.
"""
