"""Commands: /start, /subscribe, /latest ... implemented once, platform-neutral. Pure."""
