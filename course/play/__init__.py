"""Playing a scenario: the rules of a walk through its steps, saved answers, and the widgets."""
