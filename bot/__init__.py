"""newsbot: keyword-topic news alerts for Telegram, Slack and a terminal chat.

The package is laid out as the pipeline a story travels:

    sources/   what to poll and when (config, scheduler, the bundled demo feed)
    ingest/    fetch over HTTP, parse feeds, normalise entries into articles
    store/     the database: sources, articles, chats, subscriptions, the alert outbox
    match/     decide which topics a story matches (pure)
    alerts/    turn a (chat, story, topic) into a short platform-neutral alert (pure)
    delivery/  the outbox worker that sends alerts through a chat adapter
    commands/  /subscribe, /latest, ... implemented once, platform-neutral (pure)
    adapters/  chat platforms: terminal (Telegram and Slack plug in here)

`bot.app` is the one composition root; nothing starts on import.
"""

__version__ = "0.1.0"
