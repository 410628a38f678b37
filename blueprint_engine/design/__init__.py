"""Template -> blueprint design (pure), the blueprint's plain data, and its graph form."""
