"""Targets: declared ingest formats, their checks and their serializers."""

from salesfmt.targets.export import pandera_schema, record_json_schema
from salesfmt.targets.spec import Target, TargetField, list_targets, load_target, with_options
from salesfmt.targets.validate import TargetPlan, plan_target

__all__ = ["Target", "TargetField", "TargetPlan", "list_targets", "load_target", "plan_target",
           "with_options", "pandera_schema", "record_json_schema"]
