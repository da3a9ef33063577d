pytest_plugins = ["tests.support.feedserver", "tests.support.db", "tests.support.fake_telegram"]
