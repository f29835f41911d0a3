"""Read models: scorecards, grades, payroll, registers; rebuildable from the log."""
