from tests.api.conftest import api, runtime  # noqa: F401
