"""Test peers: other implementations (cvxpy formulations) that tests and benchmarks compare against."""
