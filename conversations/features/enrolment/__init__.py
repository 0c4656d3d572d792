"""The enrolment feature."""
