"""For the people who run the bot: the operations HTTP server (`server`: probes, /metrics, the
status page), its metrics (`metrics`), health checks (`checks`) and the page (`page`, `chart`).

Wired by the composition root (`bot.app`); the pipeline only sees the small observer protocols in
`bot.ingest.observe` and `bot.delivery.observe`.
"""
