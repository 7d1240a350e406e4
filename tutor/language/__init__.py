"""The tutor's language side: what the student meant (acts, safety rules, numbers) and how the tutor says it.

Modules: `intent` (message -> act), `safety` (rules that never miss distress), `numbers` (answers and
number words, parsed once), `replies` (reply wording), `spoken` (spoken forms for the avatar's voice).
"""
