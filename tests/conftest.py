pytest_plugins = ["tests.support.feedserver", "tests.support.db"]
