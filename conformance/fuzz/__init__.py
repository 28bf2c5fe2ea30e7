"""`fidoconf fuzz`: property-based fuzzing of registrations against a target, with an oracle, shrinking and replay.

strategies.py draws an Example (format variant + a set of defects, catalogued and structural); oracle.py runs one
fresh ceremony for it and compares the target's answer with the reference verifier's; runner.py drives hypothesis,
minimises each finding's defect set and findings.py writes them as replayable vector files.
"""
