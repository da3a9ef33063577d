pytest_plugins = [
    "tests.support.feedserver",
    "tests.support.db",
    "tests.support.fake_slack",
    "tests.support.fake_telegram",
    "tests.support.guard",
]
