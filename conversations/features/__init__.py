"""The features of the engine, one folder each.

Every package here holds one feature's commands, domain logic, cards, timed jobs and
personal-data hooks. The shared core (``conversations.*`` outside this folder) knows no
feature; features may use each other's domain modules.
"""
