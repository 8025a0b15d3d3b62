"""Partner rule files: load, validate, compile into polars expressions."""

from salesfmt.rules.compiler import CompiledRules, compile_rules, header_scorer
from salesfmt.rules.loader import list_rules, load_rules
from salesfmt.rules.model import FieldRule, RuleSet, SkipRule

__all__ = ["CompiledRules", "FieldRule", "RuleSet", "SkipRule", "compile_rules",
           "header_scorer", "list_rules", "load_rules"]
