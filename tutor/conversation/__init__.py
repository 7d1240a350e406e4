"""The dialogue: what each dialogue act gets (one small handler per act), its wording and its settings.

`respond(turn)` (tutor.conversation.respond) answers one message read by tutor.language.acts;
`tutor.session.TutorSession` builds the `Turn` and logs the `Plan`. Kept import-light: the
tutor's config imports `tutor.conversation.config`.
"""
