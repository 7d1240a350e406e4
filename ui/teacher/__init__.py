"""The teacher view: log in, classes, class overview with live flags, a student's sessions.

`build_tab` wires the components (ui/teacher/tab.py); the handlers (ui/teacher/handlers.py) are
plain functions that check the login token first (ui/teacher/access.py); the HTML renderers
(ui/teacher/render.py) and the charts (ui/plots.py) are pure.
"""

from ui.teacher.tab import CSS, build_tab

__all__ = ["CSS", "build_tab"]
