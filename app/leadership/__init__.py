"""Leadership: the staff training figures against the school's requirements, the statutory checks, the
figures kept per school until they change, reminders and the weekly digest, the governing board's
report and an organisation's summary. No other area needs anything of it."""
