"""JupyterHub for the MIP Social Media Policy course: one server for one institute.

Started by ``deploy/jupyterhub/start.sh`` (as root), which installs the course where trainees can
read it (``course hub install``) and runs ``jupyterhub -f`` on this file. Trainees are the server's
Unix users in the group ``mip-trainees`` (``course hub accounts ROSTER.csv`` creates them); each
gets their own server, run as their own user, landing on the course's Voila landing page. Tutors
(the Unix and hub group ``formgrade-mip-social-media``) reach nbgrader's formgrader, ``course
cohort`` in a terminal and the tutor dashboard through the hub service of that name, which runs
as the grader account that owns the cohort. Names and places: ``course/hub/settings.py``.
"""

import os
import pwd
import sys

from course.hub.auth import CourseAuthenticator
from course.hub.settings import (
    CERTIFICATE_SERVICE,
    CULL_EVERY_SECONDS,
    CULL_IDLE_SECONDS,
    DEFAULT_URL,
    GRADER_USER,
    SERVICE_NAME,
    SERVICE_URL_PATH,
    TRAINEE_FOLDER,
    TUTOR_GROUP,
    Places,
)
from course.hub.spawn import (
    certificate_environment,
    prepare_trainee_folder,
    trainee_environment,
    tutor_environment,
)

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
places = Places.from_env()
env = os.environ.get

# Where the hub answers (put TLS in front, or set c.JupyterHub.ssl_cert/ssl_key), and its own
# ports on loopback.
c.JupyterHub.bind_url = env("MIP_HUB_URL", "http://:8000")
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env('MIP_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('MIP_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(places.app / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{places.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(places.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(places.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(places.state / "jupyterhub-proxy.pid")

# Logins: the server's Unix accounts in the course's groups (course/hub/auth.py). For the
# institute's own login instead, see deploy/jupyterhub/README.md (NativeAuthenticator, LTI 1.3).
c.JupyterHub.authenticator_class = CourseAuthenticator
c.Authenticator.admin_users = set()  # nobody needs the hub's admin rights to run the course


def _arrival(handler):
    """After login: tutors to the grading service, trainees to their own server (the default)."""
    user = handler.current_user
    if user is not None and any(group.name == TUTOR_GROUP for group in user.groups):
        return handler.hub.base_url.replace("/hub/", SERVICE_URL_PATH)
    return None


c.JupyterHub.default_url = _arrival

# A trainee's own server, as their own Unix user: the course's landing page, fetched modules.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(places.bin / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = f"~/{TRAINEE_FOLDER}"
c.Spawner.default_url = DEFAULT_URL
c.Spawner.environment = trainee_environment(places)
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing else of the hub's own environment
c.Spawner.pre_spawn_hook = prepare_trainee_folder
START_SECONDS = 120  # a busy 2-core server takes its time to start a server or a service
c.Spawner.http_timeout = START_SECONDS
c.Spawner.start_timeout = START_SECONDS

# Tutors: nbgrader's formgrader, `course cohort` (a terminal) and the dashboard, as the grader;
# trainees' certificates, signed by a service running as the grader (course/hub/certificates.py).
service_port = int(env("MIP_HUB_SERVICE_PORT", "9999"))
c.JupyterHub.services = [
    {
        "name": SERVICE_NAME,
        "url": f"http://127.0.0.1:{service_port}",
        "command": [str(places.bin / "jupyterhub-singleuser"), f"--ServerApp.root_dir={places.cohort}"],
        "user": GRADER_USER,
        "cwd": str(places.cohort),
        "environment": tutor_environment(places),
        "oauth_no_confirm": True,
        "timeout": START_SECONDS,  # past it the hub gives up and stops
    },
    {
        "name": CERTIFICATE_SERVICE,
        "url": f"http://127.0.0.1:{env('MIP_HUB_CERTIFICATES_PORT', '9998')}",
        "command": [str(places.bin / "python"), "-m", "course.hub.certificates"],
        "user": GRADER_USER,
        "cwd": str(places.cohort),
        "environment": certificate_environment(places),
        "oauth_no_confirm": True,
        "timeout": START_SECONDS,
    },
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={CULL_IDLE_SECONDS}",
            f"--cull-every={CULL_EVERY_SECONDS}",
        ],
    },
]
c.JupyterHub.load_roles = [
    # every user may ask the certificate service for their own certificate (course/hub/certificates.py)
    {"name": "user", "scopes": ["self", f"access:services!service={CERTIFICATE_SERVICE}"]},
    {"name": "tutors", "groups": [TUTOR_GROUP], "scopes": [f"access:services!service={SERVICE_NAME}"]},
    {
        "name": "idle-culler",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    },
]

# The hub refuses to start half-installed, saying what to run.
try:
    pwd.getpwnam(GRADER_USER)
except KeyError:
    sys.exit(f"no Unix account {GRADER_USER}: run `course hub install` (deploy/jupyterhub/start.sh does)")
if not (places.cohort / "nbgrader_config.py").is_file():
    sys.exit(f"no cohort at {places.cohort}: run `course hub install` (deploy/jupyterhub/start.sh does)")

# The institute's own settings (another login, HTTPS, ports...), kept beside the hub's database so
# that updating the course never overwrites them: deploy/jupyterhub/README.md.
LOCAL_CONFIG = places.state / "jupyterhub_config.local.py"
if LOCAL_CONFIG.is_file():
    load_subconfig(str(LOCAL_CONFIG))  # noqa: F821 - provided by traitlets when it loads this file
