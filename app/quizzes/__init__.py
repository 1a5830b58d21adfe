"""Quizzes: drawing questions for an attempt, saving answers as they are given, marking, the review, the
school's results and extra attempts. No other area needs anything of it."""
