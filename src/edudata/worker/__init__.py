"""Background work as a service: the mail outbox, the schedule of periodic jobs and ``edudata worker``."""
