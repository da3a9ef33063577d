"""Commands: /start, /subscribe, /latest ... implemented once, platform-neutral. Pure.

`core` holds the registry and the `Commands` entry point; each further module registers the
commands of one area with `@command`. Importing the package loads them all.
"""

from bot.commands import chat_settings as chat_settings
from bot.commands import core as core
from bot.commands import settings as settings
from bot.commands import sources as sources
from bot.commands import stats as stats
