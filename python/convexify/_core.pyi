# Type stubs for the compiled core convexify._core (see the typed API in convexify.* instead).
from typing import Any, Dict

build_info: Dict[str, Any]

def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
