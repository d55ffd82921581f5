"""The rulesets shipped with cmrules, installed as the package ``cmrules.rulesets``.

``cmrules.load_ruleset("bar_customer_manager")`` loads one of them by name.
"""
