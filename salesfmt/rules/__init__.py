"""Partner rule files: load, validate, compile into polars expressions."""

from salesfmt.rules.compiler import CompiledRules, compile_rules
from salesfmt.rules.loader import list_rules, load_rules
from salesfmt.rules.model import FieldRule, RuleSet, SkipRule
from salesfmt.rules.reading import header_scorer, read_options

__all__ = ["CompiledRules", "FieldRule", "RuleSet", "SkipRule", "compile_rules",
           "header_scorer", "list_rules", "load_rules", "read_options"]
