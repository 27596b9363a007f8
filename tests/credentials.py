"""The simulator's API key in tests: a test credential, scanned for in outputs and logs."""

API_USER = "api_1a2b3c4d5e6f"
API_SECRET = "sim-secret-0c9f5e2d7b"  # a test credential, not a real one
