"""Tools for the helpdesk staff: the training rehearsal's grader and results, reports and transcripts.

The student bot's code paths do not import this package, except the rehearsal action, which grades.
"""
