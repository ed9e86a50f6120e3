"""Rows for the CSV reports the staff open in Excel (staff/rehearsal_report.py, staff/unanswered.py).

Excel reads a cell that starts with "=", "+", "-", "@", a tab or a carriage return as a formula:
a trainee called =HYPERLINK(…) or a student question =cmd|… would become a link or a command on the
supervisor's machine. Such text cells get a leading "'", which Excel shows as text; numbers and all
other text are written as they are.
"""

from typing import Any, Iterable, List

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> List[Any]:
    return [safe_cell(value) for value in row]
