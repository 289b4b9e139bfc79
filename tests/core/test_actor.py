"""An anonymous command still names who the platform says issued it (the operator)."""

from custom_components.imaprotect.core import Actor, AlarmEngine, ArmMode, Method
from tests.core.builders import ALICE, T0, make_config, make_engine


def test_label_prefers_the_person_then_the_operator_then_the_method() -> None:
    assert Actor(Method.APP, operator="Jean").label == "Jean"
    assert Actor(Method.APP).label == "app"
    assert Actor(Method.KEYPAD, "alice", "Alice", operator="Jean").label == "Alice"
    assert ALICE.operator is None


def test_operator_survives_a_restart() -> None:
    engine = make_engine()
    engine.arm(ArmMode.TOTAL, Actor(Method.APP, operator="Jean"), T0)
    restored = AlarmEngine.restore(make_config(), engine.snapshot(), T0)
    assert restored.changed_by == Actor(Method.APP, operator="Jean")
    assert restored.changed_by.label == "Jean"
