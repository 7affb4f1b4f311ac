"""Scale-out implementations of the index interfaces (`IndexStore`'s `.lexical`, `.vectors`,
`.state`, `save_state()`), selected by the `backend` setting. See docs/backends.md."""
