from tests.sharing.conftest import world  # noqa: F401  (the same small city for exchange tests)
