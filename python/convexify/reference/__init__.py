"""Pure-numpy reference implementations of every lens.

They follow the formulas of docs/ literally (no shared code with the compiled core) and serve as the test
oracle and the benchmark baseline.  One module per lens: ``linear``, ``relu``, ``gram``, ``branches``.
"""
