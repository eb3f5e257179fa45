"""Document store port and its adapters (SQLite for the embedded default, MongoDB/FerretDB when distributed).

The port lives in `guanwu.platform.store.port`; import an adapter from its own module
(`guanwu.platform.store.sqlite`, `.mongo`, `.memory`), so code that only needs the port loads no driver.
"""
