"""Pure (device context -> config text) rendering with Jinja2, templates per NOS."""
