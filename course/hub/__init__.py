"""The course on JupyterHub: one server for one institute (``deploy/jupyterhub/``).

Trainees are real Unix users, each with their own single-user server that lands on the course's
Voila landing page; tutors reach nbgrader's formgrader, ``course cohort`` and the dashboard through
one hub service running as the course's grader account. ``settings`` holds the names both the
single-server configuration and the Kubernetes one (``deploy/kubernetes/``) are held to.
"""
