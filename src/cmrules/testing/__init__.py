"""Property-testing tools for rulesets: strategies, invariants and a pytest plugin."""
