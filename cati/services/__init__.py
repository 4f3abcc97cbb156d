"""Operations on the store. Each takes a session (one unit of work) and returns frozen dataclasses."""
