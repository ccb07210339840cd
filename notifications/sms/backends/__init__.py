"""SMS backends, one module each, named by dotted path in `settings.SMS_BACKEND`."""
