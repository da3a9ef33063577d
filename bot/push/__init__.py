"""Push (WebSub, W3C Recommendation): feeds that name a hub get their stories pushed, not only
polled.

    a poll reads a feed ──► discover.py finds its hub and topic (Link headers, <link rel="hub">)
                              │
    subscriber.py ◄───────────┘  asks the hub (subscribe, renew before the lease ends,
        │                        unsubscribe when the source goes); state in the database
        ▼
    the hub ──GET (verify intent)──► receiver.py ──► echoes the challenge only for a
            ──POST (content)───────►     subscription we asked for; checks X-Hub-Signature
                                         (signature.py), then hands the content to the same
                                         ingest as a poll (`Poller.take`)

Off unless `[websub] public_url` is set. While a subscription is active the source is still
polled, at `[websub] safety_interval` (see `bot.sources.policy`).
"""
