"""nbgrader as a trainee's own server sees it: the course and the hub's shared exchange.

Submissions go into the exchange as the trainee's Unix user, named after the hub's user
(``$JUPYTERHUB_USER``, set by the hub); the tutors' collect refuses a submission not owned by the
trainee it names (``c.SafeCollect.check_owner`` in the cohort's configuration).
"""

from course.hub.settings import COURSE_ID, Places

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = str(Places.from_env().exchange)
