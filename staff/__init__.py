"""Tools for the helpdesk staff: training transcripts and the report of unanswered questions."""
