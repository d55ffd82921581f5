"""pytest plugin: collects YAML test cases and invariants beside rulesets."""
