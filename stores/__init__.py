"""Where conversations are kept: Rasa's SQL tracker store, with personal data redacted before it is
written and conversations deleted after the retention period or on request."""
